/** The timings of `bench/audit.ts`: sequential list requests, and streamed exports with RSS sampling. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resetPeakRss, rssMb } from './processes';

/** Requests that failed (non-200, not `success`, or an empty page where events were expected). */
export const failures: string[] = [];

export interface Timing {
  name: string;
  path: string;
  count: number;
  median: number;
  p95: number;
  max: number;
  /** Events on the last page answered. */
  rows: number;
  note?: string;
}

export const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;

function timing(name: string, path: string, ms: number[], rows: number, note?: string): Timing {
  const sorted = ms.filter(Number.isFinite).sort((a, b) => a - b);
  return { name, path, count: ms.length, median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1], rows, note };
}

interface Page {
  ms: number;
  rows: number;
  next: string | null;
}

/** One GET of the list, timed until its body is read and parsed. */
async function page(url: string, key: string, path: string): Promise<Page> {
  const started = performance.now();
  let status = 0;
  try {
    const res = await fetch(`${url}${path}`, { headers: { 'X-API-Key': key } });
    status = res.status;
    const body = (await res.json()) as { success?: boolean; data?: unknown[]; next_cursor?: string | null };
    const ms = performance.now() - started;
    if (status !== 200 || !body.success || !Array.isArray(body.data)) throw new Error(JSON.stringify(body).slice(0, 200));
    if (body.data.length === 0) throw new Error('no events (the filter matches nothing: a bench bug)');
    return { ms, rows: body.data.length, next: body.next_cursor ?? null };
  } catch (err) {
    failures.push(`GET ${path}: ${status || 'no answer'} ${(err as Error).message}`);
    return { ms: NaN, rows: 0, next: null };
  }
}

/** `warmup` untimed requests, then `count` timed ones, one at a time. */
export async function listCase(url: string, key: string, name: string, path: string, count: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await page(url, key, path);
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < count; i++) {
    const p = await page(url, key, path);
    ms.push(p.ms);
    rows = p.rows;
  }
  return timing(name, path, ms, rows);
}

/** Walks pages 1..`pages` by next_cursor, `walks` times after `warmup` untimed pages; every page is timed. */
export async function cursorCase(url: string, key: string, pages: number, walks: number, warmup: number): Promise<Timing> {
  const base = '/v1/audit-events';
  const walk = async (upTo: number) => {
    const ms: number[] = [];
    let cursor: string | null = null;
    let rows = 0;
    for (let i = 1; i <= upTo; i++) {
      const p = await page(url, key, cursor ? `${base}?cursor=${cursor}` : base);
      ms.push(p.ms);
      rows = p.rows;
      cursor = p.next;
      if (!cursor && i < upTo) {
        failures.push(`GET ${base}: no next_cursor on page ${i}`);
        break;
      }
    }
    return { ms, rows };
  };
  await walk(warmup);
  const all: number[] = [];
  const last: number[] = [];
  let rows = 0;
  for (let w = 0; w < walks; w++) {
    const r = await walk(pages);
    all.push(...r.ms);
    last.push(r.ms[r.ms.length - 1]);
    rows = r.rows;
  }
  const note = `page ${pages}: ${last.map((m) => m.toFixed(1)).join(', ')} ms`;
  return timing(`pages 1-${pages} by next_cursor`, `${base}?cursor=…`, all, rows, note);
}

export interface ExportResult {
  format: string;
  bytes: number;
  /** Lines received (CSV: including the header). */
  lines: number;
  /** SHA-256 of the body, to compare the bytes of two runs on the same data. */
  sha256: string;
  seconds: number;
  rssStart: number;
  rssPeak: number;
  /** VmHWM after the export (reset before it when the kernel allows; else the process's all-time peak). */
  hwm: number;
  hwmReset: boolean;
  /** CPU seconds the service process used meanwhile. */
  cpu: number;
  /** VmRSS (MB) at 0 %, 10 %, ... 100 % of the export's duration. */
  timeline: number[];
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
}

/** Streams the whole export, counting bytes and lines, while sampling the service's VmRSS every 100 ms. */
export async function exportCase(url: string, key: string, format: 'ndjson' | 'csv', pid: number, expectedLines: number): Promise<ExportResult> {
  const hwmReset = resetPeakRss(pid);
  const rssStart = rssMb(pid).now;
  const cpuStart = cpuSeconds(pid);
  const samples = [rssStart];
  const sampler = setInterval(() => samples.push(rssMb(pid).now), 100);
  const started = performance.now();
  let bytes = 0;
  let lines = 0;
  const hash = createHash('sha256');
  const path = `/v1/audit-events/export?format=${format}`;
  try {
    const res = await fetch(`${url}${path}`, { headers: { 'X-API-Key': key } });
    if (res.status !== 200 || !res.body) throw new Error(`answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      hash.update(chunk);
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
    if (lines !== expectedLines) throw new Error(`${lines} lines, expected ${expectedLines}`);
  } catch (err) {
    failures.push(`GET ${path}: ${(err as Error).message}`);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const now = rssMb(pid);
  samples.push(now.now);
  const timeline = Array.from({ length: 11 }, (_v, i) => samples[Math.round((i / 10) * (samples.length - 1))]);
  return { format, bytes, lines, sha256: hash.digest('hex'), seconds, rssStart, rssPeak: Math.max(...samples), hwm: now.peak, hwmReset, cpu: cpuSeconds(pid) - cpuStart, timeline };
}

/** A Markdown table. */
export function grid(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
