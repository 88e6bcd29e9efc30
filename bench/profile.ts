/**
 * `npm run bench:profile`: a CPU profile of the service under one load, and where its time went.
 * Starts the built service with `--cpu-prof` (npm start's flags, LOG_LEVEL=info, stdout to /dev/null),
 * seeds one account with PROFILE_KEYS keys, drives PROFILE_PATH for PROFILE_SECONDS with autocannon,
 * stops the service (the profile is written at exit) and prints the heaviest functions by self time
 * and by package. PROFILE_LOAD=hot (100 keys, cached), cold (each request a new key) or flood
 * (made-up keys). The .cpuprofile file stays for Chrome DevTools / speedscope.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../test/utils/test-database';
import { START_FLAGS } from '../test/utils/service-process';
import { junkKeys, measure } from './load';
import { BenchProcess, machine } from './processes';
import { Client } from 'pg';
import { bulkSeedKeys, seedLatchkey } from './seed';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (line: string) => process.stdout.write(`${line}\n`);
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

interface Node {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

/** Self time per function and per package (node_modules/<pkg>, the project's own code, node internals). */
export function summarise(file: string, window?: [number, number], top = 30): string[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const byNode = new Map<number, number>();
  // Sample times are CLOCK_MONOTONIC microseconds, the clock of process.hrtime: only the load window counts.
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!window || (at >= window[0] && at <= window[1])) byNode.set(id, (byNode.get(id) ?? 0) + delta);
  });
  const total = [...byNode.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  const parent = new Map<number, Node>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node);
  // Natives (socket writes, the hash) say little alone: each function's time is also told by its caller's caller.
  const callers = new Map<string, Map<string, number>>();
  const label = (node: Node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  };
  for (const node of profile.nodes) {
    const t = byNode.get(node.id) ?? 0;
    if (!t) continue;
    const { functionName, url } = node.callFrame;
    const name = label(node);
    fn.set(name, (fn.get(name) ?? 0) + t);
    const chain: string[] = [];
    for (let p = parent.get(node.id); p && chain.length < 3; p = parent.get(p.id)) chain.push(label(p));
    const via = callers.get(name) ?? new Map<string, number>();
    via.set(chain.join(' < '), (via.get(chain.join(' < ')) ?? 0) + t);
    callers.set(name, via);
    const owner = !url ? functionName : url.includes('node_modules/') ? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)![1] : url.startsWith('node:') ? 'node internals' : 'latchkey';
    pkg.set(owner, (pkg.get(owner) ?? 0) + t);
  }
  // Inclusive time of the project's own functions (synchronous stretches only: after an await a stack starts afresh).
  const inclusive = new Map<string, number>();
  for (const node of profile.nodes) {
    const t = byNode.get(node.id) ?? 0;
    if (!t) continue;
    const seen = new Set<string>();
    for (let p: Node | undefined = node; p; p = parent.get(p.id)) {
      const url = p.callFrame.url;
      if (!url.includes('/dist/src/') || url.includes('node_modules')) continue;
      const name = label(p);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + t);
    }
  }
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)} %`;
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `self time by package (${(total / 1e6).toFixed(1)} s sampled):`,
    ...sorted(pkg, 15).map(([k, t]) => `  ${pct(t)}  ${k}`),
    'inclusive time of the service\'s own functions (top 25):',
    ...sorted(inclusive, 25).map(([k, t]) => `  ${pct(t)}  ${k}`),
    `self time by function (top ${top}):`,
    ...sorted(fn, top).flatMap(([k, t], i) => [
      `  ${pct(t)}  ${k}`,
      ...(i < 12 ? sorted(callers.get(k)!, 2).map(([c, ct]) => `             ${pct(ct)} < ${c}`) : []),
    ]),
  ];
}

async function main(): Promise<void> {
  const result = await profileRun();
  if (!result) return;
  for (const line of summarise(result.file, result.window)) log(line);
  log(`profile: ${result.file}`);
}

async function profileRun(): Promise<{ file: string; window?: [number, number] } | undefined> {
  log(`machine: ${machine()}`);
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
  const db = await createTestDatabase();
  const serviceEnv = {
    DATABASE_URL: db.url,
    DATA_DIR: dir,
    KEY_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    NODE_ENV: 'production',
    REDIS_URL: undefined,
  };
  const flags = [...START_FLAGS, '--cpu-prof', `--cpu-prof-dir=${dir}`];
  let window: [number, number] | undefined;
  const service = await BenchProcess.start('latchkey', [...flags, MAIN], serviceEnv, true);
  try {
    const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();
    const kind = process.env.PROFILE_LOAD ?? 'hot';
    if (kind === 'create') {
      // The window is the creates themselves: POST /v1/api-keys from 4 accounts at once.
      const from = Number(process.hrtime.bigint() / 1000n);
      const seeded = await seedLatchkey(service.url, operatorKey, env('PROFILE_KEYS', 1_000), 4, log, service.child.pid);
      window = [from, Number(process.hrtime.bigint() / 1000n)];
      log(`  ${seeded.creates} creates, ${(seeded.createCpuMs / seeded.creates).toFixed(2)} ms CPU each`);
    } else await loadRun(service, operatorKey, kind, (w) => (window = w), db.url ? { url: db.url, keySecret: serviceEnv.KEY_SECRET } : undefined);
  } finally {
    await service.stop();
    await db.drop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile was written in ${dir}`);
  return { file: join(dir, file), window };
}

/**
 * On PostgreSQL the cold load's keys beyond the first 100 are inserted in bulk, as the bench does
 * (100,000 by default), so that most requests of the run miss the key cache.
 */
async function loadRun(service: BenchProcess, operatorKey: string, kind: string, setWindow: (w: [number, number]) => void, pg?: { url: string; keySecret: string }): Promise<void> {
  {
    const bulk = kind === 'cold' ? pg : undefined;
    const wanted = env('PROFILE_KEYS', kind === 'cold' ? (bulk ? 100_000 : 5_000) : 100);
    const seeded = await seedLatchkey(service.url, operatorKey, bulk ? Math.min(wanted, 100) : wanted, 1, log);
    if (bulk && wanted > seeded.keys.length) {
      const sql = new Client({ connectionString: bulk.url });
      await sql.connect();
      try {
        seeded.keys.push(...(await bulkSeedKeys(sql, bulk.keySecret, seeded.owners, wanted - seeded.keys.length)));
      } finally {
        await sql.end();
      }
    }
    const keys = kind === 'flood' ? junkKeys(20_000) : seeded.keys;
    const seconds = env('PROFILE_SECONDS', 20);
    log(`profiling: ${kind} GET ${process.env.PROFILE_PATH ?? '/v1/me'} for ${seconds} s, ${keys.length} keys`);
    const from = Number(process.hrtime.bigint() / 1000n);
    const m = await measure('profile', service.url, { keys, connections: env('BENCH_CONNECTIONS', 10), seconds, valid: kind !== 'flood', path: process.env.PROFILE_PATH }, service.child.pid);
    setWindow([from, Number(process.hrtime.bigint() / 1000n)]);
    log(`  ${m.rps.toFixed(0)} req/s, ${m.cpuUs.toFixed(0)} us CPU/request (${JSON.stringify(m.statusCodes)})`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
