import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FloodResult } from './flood';

/** Every problem with VALID traffic (non-2xx, socket errors, timeouts): any of them fails the run. */
export const failures: string[] = [];

export interface Load {
  /** Keys to send, one picked at random per request (a single key is sent as a fixed header). */
  keys: string[];
  connections: number;
  seconds: number;
  overallRate?: number;
  /** Valid traffic must be all 2xx; junk traffic (the flood) is expected to be refused. */
  valid: boolean;
  /** Keep every response time (ms, full precision) rather than autocannon's whole-ms histogram. */
  keepLatencies?: boolean;
  /** GET this path (default /v1/me). */
  path?: string;
}

export interface Measured {
  rps: number;
  /** CPU time (user + system) the server process spent per response, in microseconds. */
  cpuUs: number;
  latencies: number[];
  statusCodes: Record<string, number>;
}

export async function measure(label: string, url: string, load: Load, pid?: number): Promise<Measured> {
  const { keys } = load;
  const path = load.path ?? '/v1/me';
  const pick = () => keys[(Math.random() * keys.length) | 0];
  const instance = autocannon({
    url,
    connections: load.connections,
    duration: load.seconds,
    overallRate: load.overallRate,
    requests: [
      keys.length === 1
        ? { method: 'GET', path, headers: { 'x-api-key': keys[0] } }
        : { method: 'GET', path, setupRequest: (req) => ({ ...req, headers: { 'x-api-key': pick() } }) },
    ],
  });
  const latencies: number[] = [];
  if (load.keepLatencies) instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  const cpuBefore = pid ? cpuMs(pid) : NaN;
  const result = await instance;
  const total = result.requests.total ?? result.totalCompletedRequests ?? NaN;
  const cpuUs = pid ? ((cpuMs(pid) - cpuBefore) * 1000) / total : NaN;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  if (load.valid && (result.non2xx || result.errors || result.timeouts)) {
    failures.push(`${label}: ${result.non2xx} non-2xx (${JSON.stringify(statusCodes)}), ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return { rps: total / result.duration, cpuUs, latencies, statusCodes };
}

/**
 * The lean flood generator (bench/flood.ts) at `load.overallRate`, from a worker thread of its own: an
 * attacker's traffic must not take event-loop time from the valid client's generator, as it comes
 * from elsewhere.
 */
export function floodInWorker(url: string, load: Load & { overallRate: number }): Promise<FloodResult> {
  return inWorker({ url, load });
}

function inWorker<T>(workerData: { url: string; load: Load }): Promise<T> {
  const worker = new Worker(join(__dirname, 'load-worker.ts'), { workerData });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: T) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

export interface Contender {
  name: string;
  url: string;
  pid?: number;
}

/**
 * A warm-up for each, then `rounds` rounds of A, B, C, A, B, C..., so that a noisy neighbour
 * hurts every contender alike. Returns each contender's req/s and server CPU µs/request per round.
 */
export async function sideBySide(contenders: Contender[], load: Load, rounds: number, warmupSeconds: number, log: (s: string) => void) {
  const rps = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const cpuUs = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (const c of contenders) await measure(`${c.name} warm-up`, c.url, { ...load, seconds: warmupSeconds });
  for (let round = 1; round <= rounds; round++) {
    for (const c of contenders) {
      const m = await measure(`${c.name} round ${round}`, c.url, load, c.pid);
      rps.get(c.name)!.push(m.rps);
      cpuUs.get(c.name)!.push(m.cpuUs);
      const cpu = Number.isFinite(m.cpuUs) ? `, ${m.cpuUs.toFixed(0).padStart(5)} us CPU/request in its process` : '';
      log(`    round ${round} ${c.name.padEnd(16)} ${m.rps.toFixed(0).padStart(7)} req/s${cpu}`);
    }
  }
  return { rps, cpuUs };
}

/**
 * An open-loop generator that spreads `rate` requests per second evenly (autocannon's rate sends
 * each connection's share of a second back to back, then idles). Response times in ms.
 */
export async function paced(url: string, keys: string[], rate: number, seconds: number): Promise<{ latencies: number[]; rps: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  const { hostname, port } = new URL(url);
  const latencies: number[] = [];
  const total = rate * seconds;
  let sent = 0;
  let done = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const send = () => {
      const t0 = performance.now();
      const req = request({ host: hostname, port, path: '/v1/me', agent, headers: { 'x-api-key': keys[sent % keys.length] } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode! >= 300) failures.push(`paced: ${res.statusCode}`);
          if (++done === total) resolve();
        });
      });
      req.on('error', (err) => {
        failures.push(`paced: ${err.message}`);
        if (++done === total) resolve();
      });
      req.end();
      sent++;
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
      while (sent < due) send();
      if (sent >= total) clearInterval(timer);
    }, 1);
  });
  agent.destroy();
  return { latencies, rps: (total * 1000) / (performance.now() - start) };
}

/** CPU time (user + system) a process has used so far, in ms; NaN when it cannot be read. */
export function cpuMs(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Junk keys of the right shape (prefix, environment, 48 base62 characters) that fail the check tag. */
export function junkKeys(count: number): string[] {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: count }, () => {
    let body = '';
    for (let i = 0; i < 48; i++) body += alphabet[(Math.random() * 62) | 0];
    return `lk_live_${body}`;
  });
}
