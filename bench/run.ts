/**
 * `npm run bench`: Latchkey's GET /v1/me against a bare NestJS app and the "tutorial design", on a
 * fresh database, over loopback. See bench/README.md for what each scenario means.
 *
 * Knobs (environment): DATABASE_URL (a PostgreSQL server; without it the embedded database and no
 * tutorial baseline), BENCH_KEYS (100000), BENCH_ACCOUNTS (10), BENCH_ROUNDS (3), BENCH_SECONDS (5),
 * BENCH_WARMUP (3), BENCH_CONNECTIONS (10), BENCH_INFO (1: also measure LOG_LEVEL=info).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../test/utils/test-database';
import { ServiceProcess, START_FLAGS } from '../test/utils/service-process';
import { failures } from './load';
import { BenchProcess, Cleanup, loadLine, machine, resetPeakRss, rssMb } from './processes';
import { type Row, summaryLine, table } from './report';
import { coldPath, flood, hotPath, latency, logLevels, type Setup } from './scenarios';
import { seedLatchkey, seedStats, seedTutorialTable } from './seed';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (line: string) => process.stdout.write(`${line}\n`);
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

async function bench(cleanup: Cleanup): Promise<number> {
  const started = performance.now();
  log(`machine: ${machine()}`);
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  const db = await createTestDatabase();
  cleanup.add('database', () => db.drop());
  log(`database: ${db.url ? `fresh PostgreSQL database ${new URL(db.url).pathname.slice(1)}` : `embedded (PGlite) in ${dir}`}`);

  const serviceEnv = {
    DATABASE_URL: db.url,
    DATA_DIR: dir,
    KEY_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    REDIS_URL: undefined,
  };
  const service = await ServiceProcess.start(serviceEnv);
  cleanup.add('latchkey', () => service.stop());
  await service.ready();
  const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();

  const wanted = env('BENCH_KEYS', 100_000);
  log(`seeding: the bench plan, ${env('BENCH_ACCOUNTS', 10)} accounts, ${wanted} keys through the API...`);
  const seeded = await seedLatchkey(service.url, operatorKey, wanted, env('BENCH_ACCOUNTS', 10), log);
  log(`seeding: ${seeded.keys.length} keys in ${seeded.seconds.toFixed(1)} s (${(seeded.keys.length / seeded.seconds).toFixed(0)} keys/s)`);
  if (seedStats.retries) log(`NOTE: the service answered 503 (database pool busy) ${seedStats.retries} times while seeding; those creates were retried.`);
  if (seeded.reducedFrom) log(`NOTE: ${seeded.reducedFrom} keys would have taken too long to create; this run uses ${seeded.keys.length}.`);
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify(seeded.keys));

  const bare = await BenchProcess.app('bare NestJS', 'bare-app.ts', { BENCH_KEYS_FILE: keysFile });
  cleanup.add('bare app', () => bare.stop());
  let tutorial: BenchProcess | undefined;
  let latchkeyInfo: BenchProcess | undefined;
  if (db.url) {
    await seedTutorialTable(db.url, seeded.keys);
    tutorial = await BenchProcess.app('tutorial design', 'tutorial-app.ts', { DATABASE_URL: db.url });
    cleanup.add('tutorial app', () => tutorial!.stop());
    if (env('BENCH_INFO', 1)) {
      // A second instance on the same database; its log lines go to /dev/null, not through the bench.
      latchkeyInfo = await BenchProcess.start('latchkey info', [...START_FLAGS, MAIN], { ...serviceEnv, LOG_LEVEL: 'info' }, true);
      cleanup.add('latchkey info', () => latchkeyInfo!.stop());
    }
  } else {
    log('NOTE: no DATABASE_URL: the tutorial design (it needs a PostgreSQL server) and LOG_LEVEL=info are skipped.');
  }
  log(`setup done in ${((performance.now() - started) / 1000).toFixed(0)} s, load average ${loadLine()}`);

  let planRenames = 0;
  const stride = Math.max(1, Math.floor(seeded.keys.length / 100));
  const setup: Setup = {
    latchkey: { name: 'latchkey', url: service.url, pid: service.child.pid },
    bare: { name: bare.name, url: bare.url, pid: bare.child.pid },
    tutorial: tutorial && { name: tutorial.name, url: tutorial.url, pid: tutorial.child.pid },
    latchkeyInfo: latchkeyInfo && { name: 'latchkey info', url: latchkeyInfo.url, pid: latchkeyInfo.child.pid },
    hotKeys: seeded.keys.filter((_k, i) => i % stride === 0).slice(0, 100),
    allKeys: seeded.keys,
    emptyKeyCache: async () => {
      const res = await fetch(`${service.url}/v1/admin/plans/bench`, {
        method: 'PATCH',
        headers: { 'X-API-Key': operatorKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `Bench ${++planRenames}` }),
      });
      if (res.status !== 200) throw new Error(`renaming the bench plan answered ${res.status}: ${await res.text()}`);
    },
    rounds: env('BENCH_ROUNDS', 3),
    seconds: env('BENCH_SECONDS', 5),
    warmup: env('BENCH_WARMUP', 3),
    connections: env('BENCH_CONNECTIONS', 10),
    log,
  };
  // Start the peak afresh after seeding (reported apart); what the process kept from it stays resident.
  const pid = service.child.pid!;
  const seedingPeak = rssMb(pid).peak;
  const peakReset = resetPeakRss(pid);
  const rssAfter: string[] = [`after seeding ${rssMb(pid).now.toFixed(0)}`];
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const result = await run();
    rssAfter.push(`${name} ${rssMb(pid).now.toFixed(0)}`);
    return result;
  };
  const hot = await phase('hot', () => hotPath(setup));
  const levels = await phase('log levels', () => logLevels(setup));
  const lat = await phase('latency', () => latency(setup));
  const cold = await phase('cold', () => coldPath(setup));
  const fl = await phase('flood', () => flood(setup));
  const rss = rssMb(pid).peak;
  const rows: Row[] = [
    ...hot.rows,
    ...levels,
    ...lat.rows,
    ...cold.rows,
    ...fl.rows,
    { scenario: `6. peak RSS under load (VmHWM${peakReset ? '' : ', incl. seeding'})`, latchkey: `${rss.toFixed(0)} MB`, baseline: '', ratio: '', target: '< 250 MB', met: rss < 250 },
  ];

  log('');
  log(`machine: ${machine()}`);
  log(`keys: ${seeded.keys.length} on ${seeded.accounts} accounts; rounds: ${setup.rounds} x ${setup.seconds} s each, alternating; ${setup.connections} connections; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  log(table(rows));
  log(`service RSS (MB): peak while seeding ${seedingPeak.toFixed(0)}; ${rssAfter.join(', ')}`);
  if (failures.length) {
    log(`\nFAILED: valid traffic was refused or lost (${failures.length} runs):`);
    for (const f of failures) log(`  ${f}`);
  }
  log(summaryLine({
    hot: hot.hot,
    bareRatio: hot.bareRatio,
    tutorialRatio: hot.tutorialRatio,
    p50: lat.p50,
    p99: lat.p99,
    rate: lat.rate,
    cold: cold.cold,
    floodDrop: fl.drop,
    peakRssMb: rss,
  }));
  return failures.length ? 1 : 0;
}

async function main() {
  const cleanup = new Cleanup();
  let exiting = false;
  const interrupt = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    process.stderr.write(`\n${signal}: cleaning up...\n`);
    await cleanup.runAll();
    process.exit(130);
  };
  process.on('SIGINT', () => void interrupt('SIGINT'));
  process.on('SIGTERM', () => void interrupt('SIGTERM'));
  let code = 1;
  try {
    code = await bench(cleanup);
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  } finally {
    if (!exiting) await cleanup.runAll();
  }
  process.exit(code);
}

void main();
