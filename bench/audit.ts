/**
 * `npm run bench:audit`: GET /v1/audit-events and its streamed export on an account with a million
 * audit events. A database on DATABASE_URL's server (required; see bench/audit-setup.ts), the built
 * service as a child process, the plan and account created through the API, the events seeded
 * directly in SQL.
 *
 * Knobs (environment): AUDIT_EVENTS (1000000), AUDIT_REQUESTS (100 per case), AUDIT_WARMUP (20),
 * AUDIT_EXPORT (1; 0 skips the exports), AUDIT_ONLY (list or export: only that part),
 * AUDIT_KEEP (1: keep the seeded database for the next run), AUDIT_PROFILE (1: a CPU profile of
 * the service, summed up per export).
 * Prints a table per part and a last summary line; exits non-zero when any request failed.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainList, type ListFilter } from './audit-explain';
import { cursorCase, type ExportResult, exportCase, failures, grid, listCase, percentile, type Timing } from './audit-measure';
import { preparedService } from './audit-setup';
import { Cleanup, loadLine, machine, runBench } from './processes';
import { summarise } from './profile';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (line: string) => process.stdout.write(`${line}\n`);
const TARGET_MS = 50;
const RSS_TARGET_MB = 100;
const PAGES = 50;
const EXPORT_TARGET_S: Record<string, number> = { ndjson: 15, csv: 20 };
const query = (f: ListFilter) => {
  const q = new URLSearchParams(Object.entries(f).filter(([k, v]) => v !== undefined && k !== 'beforeSeq').map(([k, v]): [string, string] => [k, String(v)]));
  return `/v1/audit-events${q.size ? `?${q}` : ''}`;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const mb = (n: number) => `${n.toFixed(0)} MB`;
const int = (n: number) => n.toLocaleString('en-US');

async function bench(cleanup: Cleanup): Promise<number> {
  const started = performance.now();
  log(`machine: ${machine()}`);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must name a PostgreSQL server: the events are seeded in SQL');
  const count = env('AUDIT_EVENTS', 1_000_000);
  const profileDir = process.env.AUDIT_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'latchkey-audit-profile-')) : undefined;
  const { service, dbUrl, accountId, key, seed } = await preparedService(cleanup, count, profileDir ? `--cpu-prof --cpu-prof-dir=${profileDir}` : undefined);
  const pid = service.child.pid!;

  const day = 86_400_000;
  const target = seed.keys[7];
  const cases: { name: string; filter: ListFilter }[] = [
    { name: 'no filter', filter: {} },
    { name: 'key_id', filter: { key_id: target } },
    { name: 'action=api_key.updated', filter: { action: 'api_key.updated' } },
    { name: 'actor_id', filter: { actor_id: seed.actors[3] } },
    { name: 'since 30 d, until 20 d ago', filter: { since: new Date(Date.now() - 30 * day).toISOString(), until: new Date(Date.now() - 20 * day).toISOString() } },
    { name: 'key_id + action=api_key.updated', filter: { key_id: target, action: 'api_key.updated' } },
  ];
  const requests = env('AUDIT_REQUESTS', 100);
  const warmup = env('AUDIT_WARMUP', 20);
  const timings: Timing[] = [];
  const filters: ListFilter[] = [];
  const only = process.env.AUDIT_ONLY;
  if (only !== 'export') {
    log(`list: ${cases.length + 1} cases, ${requests} sequential requests each after ${warmup} warm-up...`);
    for (const c of cases) {
      timings.push(await listCase(service.url, key, c.name, query(c.filter), requests, warmup));
      filters.push(c.filter);
    }
    timings.push(await cursorCase(service.url, key, PAGES, Math.max(1, Math.round(requests / PAGES)), warmup));
    filters.push({ beforeSeq: String(seed.lastSeq - (PAGES - 1) * 20 + 1) });
  }

  const exported: ExportResult[] = [];
  const windows: [number, number][] = [];
  const loads: string[] = [];
  const now = () => Number(process.hrtime.bigint() / 1000n);
  const total = seed.lastSeq; // the account's two own events (account.created, api_key.created) and the seeded ones
  if (env('AUDIT_EXPORT', 1) && only !== 'list') {
    for (const format of ['ndjson', 'csv'] as const) {
      loads.push(loadLine());
      log(`export: ${format} of ${int(total)} events... (load average ${loads.at(-1)})`);
      const from = now();
      exported.push(await exportCase(service.url, key, format, pid, format === 'csv' ? total + 1 : total));
      windows.push([from, now()]);
    }
  }

  log('');
  log(`machine: ${machine()}`);
  log(`events: ${int(total)} on one account; ${requests} timed requests per list case (limit 20, the default), one at a time; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (timings.length) log(grid(
    ['GET /v1/audit-events', 'requests', 'median', 'p95', 'max', 'events/page', 'target', 'met'],
    timings.map((t) => [t.name + (t.note ? ` (${t.note})` : ''), String(t.count), ms(t.median), ms(t.p95), ms(t.max), String(t.rows), `median < ${TARGET_MS} ms`, t.median < TARGET_MS ? 'yes' : 'NO']),
  ));
  if (exported.length) {
    log('');
    log(grid(
      ['export', 'bytes', 'lines', 'seconds', 'MB/s', 'events/s', 'CPU s', 'RSS start', 'RSS peak', 'VmHWM', 'peak - start', 'load average', 'target', 'met'],
      exported.map((e, i) => {
        const growth = Math.max(e.rssPeak, e.hwm) - e.rssStart;
        const target = EXPORT_TARGET_S[e.format];
        return [e.format, int(e.bytes), int(e.lines), e.seconds.toFixed(1), (e.bytes / 1e6 / e.seconds).toFixed(1), int(Math.round(total / e.seconds)),
          e.cpu.toFixed(1), mb(e.rssStart), mb(e.rssPeak), mb(e.hwm) + (e.hwmReset ? '' : ' (all-time)'), `+${mb(growth)}`, loads[i],
          `≤ ${target} s, < +${RSS_TARGET_MB} MB`, e.seconds <= target && growth < RSS_TARGET_MB ? 'yes' : 'NO'];
      }),
    ));
  }
  for (const e of exported) log(`${e.format} export, service VmRSS (MB) at every 10 % of its duration: ${e.timeline.map((r) => r.toFixed(0)).join(' ')}`);
  for (const e of exported) log(`${e.format} export, SHA-256 of the body: ${e.sha256}`);
  if (profileDir) {
    await service.stop(); // the profile is written at exit
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    for (const [i, e] of exported.entries()) {
      log(`\n${e.format} export, the service's CPU profile (self time):`);
      if (file) for (const line of summarise(join(profileDir, file), windows[i], 25)) log(line);
    }
    log(`profile: ${file ? join(profileDir, file) : `none written in ${profileDir}`}`);
  }
  for (const [i, t] of timings.entries()) {
    if (t.median < TARGET_MS) continue;
    log(`\n${t.name}: median ${ms(t.median)} misses ${TARGET_MS} ms. The query and its plan:`);
    log(await explainList(dbUrl, accountId, filters[i]));
  }
  if (failures.length) {
    log(`\nFAILED: ${failures.length} request(s):`);
    for (const f of failures.slice(0, 20)) log(`  ${f}`);
  }
  const medians = timings.map((t) => t.median).filter(Number.isFinite).sort((a, b) => a - b);
  const start = Math.min(...exported.map((e) => e.rssStart));
  const peak = Math.max(...exported.map((e) => Math.max(e.rssPeak, e.hwm)));
  const met = (e: ExportResult) => `${e.seconds.toFixed(1)} s ${e.format} (target ${EXPORT_TARGET_S[e.format]} s, ${e.seconds <= EXPORT_TARGET_S[e.format] ? 'met' : 'MISSED'})`;
  const exportPart = exported.length
    ? `export ${int(total)} events in ${exported.map(met).join(' / ')}, RSS ${start.toFixed(0)}→${peak.toFixed(0)} MB (peak +${(peak - start).toFixed(0)} MB, target < +${RSS_TARGET_MB} MB)`
    : 'export skipped';
  const listPart = medians.length
    ? `list median ${percentile(medians, 0.5).toFixed(1)} ms (worst case ${medians[medians.length - 1].toFixed(1)} ms, target ${TARGET_MS} ms)`
    : 'list skipped';
  log(`audit bench: ${listPart}, ${exportPart}; load average ${loadLine()}`);
  return failures.length ? 1 : 0;
}

void runBench('audit bench', bench);
