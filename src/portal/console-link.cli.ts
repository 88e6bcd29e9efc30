import { readFileSync } from 'node:fs';
import { browsableHost, loadConfig } from '../config/configuration';

/** The operator's own console session: every customer scope and `admin`, for a working day. */
const OPERATOR_SESSION = { user: { id: 'operator', name: 'Operator' }, scopes: ['*', 'admin'], ttl_seconds: 8 * 3600 };

class CliError extends Error {}

interface Answer {
  status: number;
  body: { data?: Record<string, any>; error?: string; code?: string };
}

/**
 * `npm run console`: with the service running, prints a one-time sign-in link to the operator's own
 * console, made through the API with the operator key file (as `npm start` finds it: OPERATOR_KEY_FILE
 * or DATA_DIR). It calls the service where it listens (HOST, PORT), else at PUBLIC_URL.
 */
async function main() {
  const config = loadConfig();
  const keyFile = config.operator.keyFile;
  let key: string;
  try {
    key = readFileSync(keyFile, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new CliError(`No operator key at ${keyFile}. Start the service once with \`npm start\` (it writes the key there), or set OPERATOR_KEY_FILE to where the key is.`);
  }
  const bases = [...new Set([`http://${browsableHost(config.http.host)}:${config.http.port}`, config.portal.publicUrl])];
  const base = await reachable(bases);
  const call = async (method: string, path: string, body?: object): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Answer['body'] };
  };
  const me = await call('GET', '/v1/me');
  if (me.status !== 200) throw refused(me, `The operator key in ${keyFile} was refused`);
  const accountId = String(me.body.data!.account.id);
  const created = await call('POST', `/v1/admin/accounts/${accountId}/portal-sessions`, OPERATOR_SESSION);
  if (created.status !== 201) throw refused(created, 'The service would not make a sign-in link');
  process.stderr.write('Open this link in your browser. It works once, within 10 minutes:\n');
  process.stdout.write(`${created.body.data!.url}\n`);
}

/** The first base URL where the service answers its liveness probe. */
async function reachable(bases: string[]): Promise<string> {
  for (const base of bases) {
    try {
      await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(3_000) });
      return base;
    } catch {
      // not listening there: try the next
    }
  }
  throw new CliError(
    `Latchkey is not running at ${bases.join(' or ')}. Start it with \`npm start\` (with the same HOST, PORT and DATA_DIR), then run \`npm run console\` again.`,
  );
}

const refused = (answer: Answer, what: string) =>
  new CliError(`${what}: ${answer.body.error ?? `HTTP ${answer.status}`}${answer.body.code ? ` (${answer.body.code})` : ''}.`);

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
