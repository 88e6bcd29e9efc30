import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../utils/service-process';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A private PostgreSQL cluster (initdb + pg_ctl) on a spare port, in a temp dir, trust auth, that a
 * test may stop and start at will; the machine's own server (5432) is never touched. initdb and
 * postgres refuse to run as root, so as root every command runs as the `postgres` OS user.
 * Commands are asynchronous: the event loop (and the test's request stream) keeps running.
 */
export class OwnPostgres {
  private frozen: number[] = [];

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** initdb, then start; the cluster accepts connections when this resolves. */
  static async create(): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-'));
    if (process.getuid?.() === 0) {
      const { uid, gid } = await pgUser();
      chownSync(dir, uid, gid);
    }
    const pg = new OwnPostgres(dir, await freePort());
    process.once('exit', () => pg.lastResort()); // a run aborted before afterAll: SIGQUIT = immediate shutdown
    try {
      await pg.exec('initdb', '-D', pg.dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions');
      await pg.start();
      return pg;
    } catch (err) {
      await pg.destroy();
      throw err;
    }
  }

  /** Starts the cluster and waits until it accepts connections (pg_ctl -w). */
  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c max_connections=50`;
    await this.exec('pg_ctl', '-D', this.dataDir, '-o', options, '-l', join(this.dir, 'server.log'), '-w', '-t', '30', 'start');
  }

  /** pg_ctl stop: `immediate` kills every backend at once (no shutdown checkpoint), `fast` disconnects clients cleanly. */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    await this.exec('pg_ctl', '-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop');
  }

  /**
   * SIGSTOP to the postmaster and every backend: a hung server (or a network black hole). Sockets
   * stay open and connects are accepted by the kernel, but nothing ever answers. `thaw` undoes it.
   */
  async freeze(): Promise<void> {
    const postmaster = this.postmasterPid();
    this.frozen = [postmaster];
    this.signal([postmaster], 'SIGSTOP'); // first, so it starts no new backend meanwhile
    const { stdout } = await run('pgrep', ['-P', String(postmaster)]);
    const backends = stdout.split('\n').filter(Boolean).map(Number);
    this.frozen = [...backends, postmaster];
    this.signal(backends, 'SIGSTOP');
  }

  async thaw(): Promise<void> {
    this.signal(this.frozen, 'SIGCONT');
    this.frozen = [];
  }

  get running(): boolean {
    return existsSync(join(this.dataDir, 'postmaster.pid'));
  }

  /** The server's own log (for failure messages). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the cluster if it runs and removes its directory; safe to call more than once. */
  async destroy(): Promise<void> {
    await this.thaw();
    if (this.running) await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private lastResort(): void {
    if (!this.running) return rmSync(this.dir, { recursive: true, force: true });
    this.signal([...this.frozen, this.postmasterPid()], 'SIGCONT');
    this.signal([this.postmasterPid()], 'SIGQUIT');
  }

  private signal(pids: number[], signal: NodeJS.Signals): void {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    }
  }

  private postmasterPid(): number {
    return Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  private async exec(tool: string, ...args: string[]): Promise<void> {
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]] : [join(BIN, tool), args];
    try {
      await run(file, argv, { cwd: this.dir, timeout: 60_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} ${args.at(-1)} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${this.log()}`);
    }
  }
}

async function pgUser(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}
