import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/utils/service-process';

const ROOT = join(__dirname, '..');

/** Undo steps run last-in first-out at the end of the run, also after a failure or Ctrl-C. */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<unknown> | unknown }[] = [];

  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, run });
  }

  async runAll(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.run();
      } catch (err) {
        process.stderr.write(`cleanup (${step.name}) failed: ${(err as Error).message}\n`);
      }
    }
  }
}

/**
 * Runs one benchmark with its cleanup: on Ctrl-C or SIGTERM the cleanup runs at once and the
 * process exits 130; otherwise it runs when the bench ends, failed or not, and the bench's code is
 * the exit code.
 */
export async function runBench(name: string, bench: (cleanup: Cleanup) => Promise<number>): Promise<never> {
  const cleanup = new Cleanup();
  let interrupted: Promise<void> | undefined;
  const interrupt = (signal: string) => {
    process.stderr.write(`\n${signal}: cleaning up...\n`);
    interrupted ??= cleanup.runAll().then(() => process.exit(130));
  };
  process.on('SIGINT', () => interrupt('SIGINT'));
  process.on('SIGTERM', () => interrupt('SIGTERM'));
  let code = 1;
  try {
    code = await bench(cleanup);
  } catch (err) {
    if (!interrupted) process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  } finally {
    await (interrupted ?? cleanup.runAll());
  }
  process.exit(code);
}

/** A child process serving HTTP on loopback: one of the bench's own apps, or a second Latchkey. */
export class BenchProcess {
  private readonly output: string[] = [];
  private readonly exited: Promise<unknown>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (d) => this.output.length < 200 && this.output.push(String(d)));
    child.stderr?.on('data', (d) => this.output.length < 200 && this.output.push(String(d)));
    this.exited = once(child, 'exit');
  }

  /**
   * Starts `node [args]` with PORT set; `quiet` sends stdout to /dev/null (a log-heavy child must not
   * make the bench process, which is also the load generator, read its output).
   */
  static async start(name: string, args: string[], env: Record<string, string | undefined>, quiet = false): Promise<BenchProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      // The IPC channel lets the bench's own apps exit when the bench dies without cleaning up.
      stdio: ['ignore', quiet ? 'ignore' : 'pipe', 'pipe', 'ipc'],
    });
    const proc = new BenchProcess(name, child, `http://127.0.0.1:${port}`);
    await proc.ready();
    return proc;
  }

  /** A TypeScript app of bench/, run through @swc-node/register. */
  static app(name: string, file: string, env: Record<string, string | undefined>): Promise<BenchProcess> {
    return BenchProcess.start(name, ['--require', '@swc-node/register', join(ROOT, 'bench', file)], env);
  }

  /** Ready when it answers any HTTP request at all (a 401 for /v1/me will do). */
  private async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      try {
        await fetch(`${this.url}/v1/me`);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await this.stop();
    throw new Error(`${this.name} did not start: ${this.output.join('')}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Resolves when `url`/health/ready answers 200 (the service has migrated and connected). */
export async function healthy(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} was not ready in ${timeoutMs} ms`);
}

/**
 * `npm start` itself (its prestart build, then the service), timed to /health/ready, then stopped
 * with its whole process group. Null when it did not come up (the reason is logged).
 */
export async function timeNpmStart(env: Record<string, string | undefined>, log: (s: string) => void): Promise<number | null> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const errors: string[] = [];
  child.stderr?.on('data', (d) => errors.length < 50 && errors.push(String(d)));
  const exited = once(child, 'exit');
  try {
    await Promise.race([healthy(`http://127.0.0.1:${port}`, 300_000), exited.then(() => Promise.reject(new Error(`exited: ${errors.join('')}`)))]);
    return (performance.now() - started) / 1000;
  } catch (err) {
    log(`NOTE: npm start did not come up: ${(err as Error).message.slice(0, 500)}`);
    return null;
  } finally {
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** Call from a bench app: exit when the bench that started it goes away. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
}

/** Peak (VmHWM) and current (VmRSS) resident set size of a process, in MB. */
export function rssMb(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { peak: mb('VmHWM'), now: mb('VmRSS') };
}

/** Starts a new peak: VmHWM falls back to the current RSS (Linux: `5` to /proc/<pid>/clear_refs). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A stopped embedded service may still hold its data folder's lock for a moment. */
export async function waitForUnlock(dir: string): Promise<void> {
  for (let i = 0; i < 150 && existsSync(join(dir, 'pgdata.lock')); i++) await new Promise((r) => setTimeout(r, 100));
}

/** One line about the machine, for the top of the report. */
export function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  return `${cpus().length} cores, ${model}, Node ${process.version}, load average ${loadLine()}`;
}

export function loadLine(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}
