/**
 * `npm run bench`: Latchkey's GET /v1/me against a bare NestJS app and the "tutorial design", on a
 * fresh database, over loopback. See bench/README.md for what each scenario means.
 *
 * Knobs (environment): DATABASE_URL (a PostgreSQL server; without it the embedded database and no
 * tutorial baseline), BENCH_KEYS (100000), BENCH_CREATES (1000 of them through the API), BENCH_ACCOUNTS (10),
 * BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_WARMUP (3), BENCH_CONNECTIONS (10), BENCH_INFO (1: also
 * measure LOG_LEVEL=warn), BENCH_NPM_START (1: also time `npm start`), BENCH_ONLY (hot,levels,latency,cold,flood,embedded),
 * BENCH_EMBEDDED_KEYS (100).
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../test/utils/test-database';
import { Client } from 'pg';
import { START_FLAGS } from '../test/utils/service-process';
import { failures } from './load';
import { BenchProcess, Cleanup, healthy, loadLine, machine, resetPeakRss, rssMb, timeNpmStart, runBench, waitForUnlock } from './processes';
import { type Row, summaryLine, table } from './report';
import { coldPath, flood, hotPath, latency, logLevels, type Setup } from './scenarios';
import { bulkSeedKeys, seedLatchkey, seedStats, seedTutorialTable } from './seed';
import { embeddedRss } from './embedded';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (line: string) => process.stdout.write(`${line}\n`);
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

async function bench(cleanup: Cleanup): Promise<number> {
  const started = performance.now();
  const only = new Set((process.env.BENCH_ONLY ?? 'hot,levels,latency,cold,flood,embedded').split(',').map((x) => x.trim()));
  log(`machine: ${machine()}`);
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  const db = await createTestDatabase();
  cleanup.add('database', () => db.drop());
  log(`database: ${db.url ? `fresh PostgreSQL database ${new URL(db.url).pathname.slice(1)}` : `embedded (PGlite) in ${dir}`}`);

  // The designed pipeline logs every request at info: its lines go to /dev/null, not through the bench.
  const serviceEnv = {
    DATABASE_URL: db.url,
    DATA_DIR: dir,
    KEY_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    REDIS_URL: undefined,
  };
  const startService = async () => {
    const t0 = performance.now();
    const proc = await BenchProcess.start('latchkey', [...START_FLAGS, MAIN], serviceEnv, true);
    await healthy(proc.url);
    return { proc, seconds: (performance.now() - t0) / 1000 };
  };
  let service = (await startService()).proc;
  cleanup.add('latchkey', () => service.stop());
  const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();

  const wanted = env('BENCH_KEYS', 100_000);
  const creates = env('BENCH_CREATES', 1_000);
  log(`seeding: the bench plan, ${env('BENCH_ACCOUNTS', 10)} accounts, ${creates} keys through the API...`);
  const seeded = await seedLatchkey(service.url, operatorKey, Math.min(wanted, creates), env('BENCH_ACCOUNTS', 10), log, service.child.pid, env('BENCH_CREATE_WARMUP', 100));
  const createMs = seeded.createCpuMs / seeded.creates;
  log(`seeding: ${seeded.creates} creates through the API (after a warm-up of ${env('BENCH_CREATE_WARMUP', 100)}) in ${seeded.createSeconds.toFixed(1)} s, ${createMs.toFixed(2)} ms of service CPU each`);
  if (seedStats.retries) log(`NOTE: the service answered 503 (database pool busy) ${seedStats.retries} times while seeding; those creates were retried.`);

  // The rest in bulk, straight into the database (the embedded one only while the service is stopped).
  await service.stop();
  const bulk = Math.max(0, wanted - seeded.keys.length);
  const bulkStart = performance.now();
  if (bulk) {
    const sql = db.url ? new Client({ connectionString: db.url }) : await PGlite.create({ dataDir: join(dir, 'pgdata') });
    if (sql instanceof Client) await sql.connect();
    try {
      seeded.keys.push(...(await bulkSeedKeys(sql, serviceEnv.KEY_SECRET, seeded.owners, bulk)));
    } finally {
      await (sql instanceof Client ? sql.end() : sql.close());
    }
    log(`seeding: ${bulk} more keys in bulk in ${((performance.now() - bulkStart) / 1000).toFixed(1)} s (${seeded.keys.length} in all)`);
  }
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify(seeded.keys));

  // Startup on the existing data folder: `npm start` as a user runs it (its build first), then the service alone.
  const npmStart = env('BENCH_NPM_START', 1) ? await timeNpmStart(serviceEnv, log) : null;
  await waitForUnlock(dir);
  const restart = await startService();
  service = restart.proc;
  log(`startup on the existing data: service ${restart.seconds.toFixed(2)} s, npm start (build included) ${npmStart === null ? 'n/a' : `${npmStart.toFixed(1)} s`}`);

  const bare = await BenchProcess.app('bare NestJS', 'bare-app.ts', { BENCH_KEYS_FILE: keysFile });
  cleanup.add('bare app', () => bare.stop());
  let tutorial: BenchProcess | undefined;
  let latchkeyWarn: BenchProcess | undefined;
  if (db.url) {
    await seedTutorialTable(db.url, seeded.keys);
    tutorial = await BenchProcess.app('tutorial design', 'tutorial-app.ts', { DATABASE_URL: db.url });
    cleanup.add('tutorial app', () => tutorial!.stop());
    if (env('BENCH_INFO', 1) && only.has('levels')) {
      latchkeyWarn = await BenchProcess.start('latchkey warn', [...START_FLAGS, MAIN], { ...serviceEnv, LOG_LEVEL: 'warn' }, true);
      cleanup.add('latchkey warn', () => latchkeyWarn!.stop());
    }
  } else {
    log('NOTE: no DATABASE_URL: the tutorial design (it needs a PostgreSQL server) and LOG_LEVEL=warn are skipped.');
  }
  log(`setup done in ${((performance.now() - started) / 1000).toFixed(0)} s, load average ${loadLine()}`);

  let planRenames = 0;
  const stride = Math.max(1, Math.floor(seeded.keys.length / 100));
  const setup: Setup = {
    latchkey: { name: 'latchkey', url: service.url, pid: service.child.pid },
    bare: { name: bare.name, url: bare.url, pid: bare.child.pid },
    tutorial: tutorial && { name: tutorial.name, url: tutorial.url, pid: tutorial.child.pid },
    latchkeyOther: latchkeyWarn && { name: 'latchkey warn', url: latchkeyWarn.url, pid: latchkeyWarn.child.pid },
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
  const startPeak = rssMb(pid).peak;
  const peakReset = resetPeakRss(pid);
  const rssAfter: string[] = [`after start ${rssMb(pid).now.toFixed(0)}`];
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!only.has(name)) return undefined;
    const result = await run();
    rssAfter.push(`${name} ${rssMb(pid).now.toFixed(0)}`);
    return result;
  };
  const hot = await phase('hot', () => hotPath(setup));
  const levels = await phase('levels', () => logLevels(setup));
  const lat = await phase('latency', () => latency(setup));
  const cold = await phase('cold', () => coldPath(setup));
  const fl = await phase('flood', () => flood(setup));
  const rss = rssMb(pid).peak;
  // On PostgreSQL, the embedded database's figure comes from a second service of its own (phase `embedded`).
  const embedded = db.url && only.has('embedded')
    ? await embeddedRss(env('BENCH_EMBEDDED_KEYS', 100), setup.rounds, setup.seconds, setup.connections, log)
    : undefined;
  const embeddedMb = db.url ? (embedded?.peakMb ?? NaN) : rss;
  const rows: Row[] = [
    ...(hot?.rows ?? []),
    ...(levels ?? []),
    ...(lat?.rows ?? []),
    ...(cold?.rows ?? []),
    ...(fl?.rows ?? []),
    db.url
      ? { scenario: `6. peak RSS under load (VmHWM${peakReset ? '' : ', incl. seeding'}, PostgreSQL)`, latchkey: `${rss.toFixed(0)} MB`, baseline: `${startPeak.toFixed(0)} MB at start`, ratio: '', target: '< 200 MB', met: rss < 200 }
      : { scenario: '6. peak RSS under load (PostgreSQL)', latchkey: 'n/a', baseline: 'skipped (needs DATABASE_URL)', ratio: '', target: '< 200 MB', met: null },
    db.url
      ? embedded
        ? { scenario: `   peak RSS under the hot-path load (VmHWM${embedded.reset ? '' : ', incl. seeding'}, embedded)`, latchkey: `${embedded.peakMb.toFixed(0)} MB`, baseline: `${embedded.atStartMb.toFixed(0)} MB at start`, ratio: '', target: '< 300 MB', met: embedded.peakMb < 300 }
        : { scenario: '   peak RSS under load (embedded)', latchkey: 'n/a', baseline: 'skipped (BENCH_ONLY)', ratio: '', target: '< 300 MB', met: null }
      : { scenario: `   peak RSS under load (VmHWM${peakReset ? '' : ', incl. seeding'}, embedded)`, latchkey: `${rss.toFixed(0)} MB`, baseline: `${startPeak.toFixed(0)} MB at start`, ratio: '', target: '< 300 MB', met: rss < 300 },
    { scenario: '7. startup on existing data, service', latchkey: `${restart.seconds.toFixed(2)} s`, baseline: '', ratio: '', target: '< 5 s', met: restart.seconds < 5 },
    { scenario: '   startup, npm start (build included)', latchkey: npmStart === null ? 'n/a' : `${npmStart.toFixed(1)} s`, baseline: '', ratio: '', target: '', met: null },
    { scenario: `8. key creation (${seeded.creates} x POST /v1/api-keys)`, latchkey: `${createMs.toFixed(2)} ms CPU`, baseline: `${(seeded.creates / seeded.createSeconds).toFixed(0)} keys/s`, ratio: '', target: '<= 2 ms', met: createMs <= 2 },
  ];

  log('');
  log(`machine: ${machine()}`);
  log(`keys: ${seeded.keys.length} on ${seeded.accounts} accounts; rounds: ${setup.rounds} x ${setup.seconds} s each, alternating; ${setup.connections} connections; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  log(table(rows));
  log(`service RSS (MB): ${rssAfter.join(', ')}`);
  log('audit export (target 5): npm run bench:audit');
  if (failures.length) {
    log(`\nFAILED: valid traffic was refused or lost (${failures.length} runs):`);
    for (const f of failures) log(`  ${f}`);
  }
  log(summaryLine({
    hot: hot?.hot ?? NaN,
    cpuRatio: hot?.cpuRatio ?? NaN,
    tutorialRatio: hot?.tutorialRatio ?? NaN,
    p50: lat?.p50 ?? NaN,
    p99: lat?.p99 ?? NaN,
    rate: lat?.rate ?? 1000,
    cold: cold?.cold ?? NaN,
    coldRatio: cold?.ratio ?? NaN,
    floodDrop: fl?.drop ?? NaN,
    peakRssMb: db.url ? rss : NaN,
    embeddedRssMb: embeddedMb,
    createMs,
    startupS: restart.seconds,
  }));
  return failures.length ? 1 : 0;
}

void runBench('bench', bench);
