import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** The V8 flags `npm start` gives the service (package.json is the one place they are written). */
export const START_FLAGS: string[] = (() => {
  const start: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const flags = / node ((?:--\S+ )*)dist\/src\/main\.js$/.exec(start);
  if (!flags) throw new Error(`cannot read the node flags from the start script: ${start}`);
  return flags[1].trim().split(/\s+/).filter(Boolean);
})();

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The built service (`npm start`'s `node dist/src/main.js`) as a child process, with its output kept. */
export class ServiceProcess {
  readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout!.on('data', (d) => this.output.push(String(d)));
    child.stderr!.on('data', (d) => this.output.push(String(d)));
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  /** `nodeFlags` go on node's command line after START_FLAGS (for flags NODE_OPTIONS refuses, such as --trace-gc). */
  static async start(env: Record<string, string | undefined>, nodeFlags: string[] = []): Promise<ServiceProcess> {
    const port = Number(env.PORT ?? (await freePort()));
    const clean = Object.fromEntries(
      Object.entries({ ...process.env, ...env, PORT: String(port) }).filter(([k, v]) => v !== undefined && !k.startsWith('JEST')),
    ) as Record<string, string>;
    const child = spawn(process.execPath, [...START_FLAGS, ...nodeFlags, MAIN], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServiceProcess(child, `http://127.0.0.1:${port}`);
  }

  /** Resolves when /health/ready answers 200; rejects if the process exits first. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let done = false;
    const exit = this.exited.then((code) => {
      if (!done) throw new Error(`service exited with ${code}: ${this.output.join('')}`);
    });
    const poll = (async () => {
      while (Date.now() < deadline) {
        try {
          if ((await fetch(`${this.url}/health/ready`)).status === 200) return;
        } catch {
          /* not listening yet */
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`service not ready in ${timeoutMs} ms: ${this.output.join('')}`);
    })();
    try {
      await Promise.race([poll, exit]);
    } finally {
      done = true;
    }
  }

  exitCode(): Promise<number | null> {
    return this.exited;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * Stops named instances (printing whatever each logged, which is only warnings and errors at the
 * specs' LOG_LEVEL), then drops their database and removes their data folders.
 */
export async function stopInstances(
  instances: Record<string, ServiceProcess | undefined>,
  db: { drop(): Promise<void> } | undefined,
  dirs: string[],
): Promise<void> {
  await Promise.all(Object.values(instances).map((s) => s?.stop()));
  for (const [name, service] of Object.entries(instances)) {
    if (service?.output.length) console.log(`instance ${name} logged (LOG_LEVEL=warn):\n${service.output.join('')}`);
  }
  await db?.drop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
