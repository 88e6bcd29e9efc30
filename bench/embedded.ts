import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START_FLAGS } from '../test/utils/service-process';
import { type Load, measure } from './load';
import { BenchProcess, healthy, resetPeakRss, rssMb, waitForUnlock } from './processes';
import { seedLatchkey } from './seed';

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

export interface EmbeddedRss {
  /** VmHWM under the load, after a reset once the service was up on the existing folder. */
  peakMb: number;
  atStartMb: number;
  reset: boolean;
  /** The first start, on a new folder (initdb, migrations), with its seeding: resident at its end, and its peak. */
  firstStart: { nowMb: number; peakMb: number };
}

/**
 * The embedded database's resident memory (its WebAssembly memory is in the service's process) under
 * the hot-path load, for a run on PostgreSQL: a second Latchkey on PGlite in a folder of its own,
 * started once to create it and `keys` keys through the API, then started again on it, as `npm start`
 * is every time after the first, and driven with `rounds` x `seconds` of GET /v1/me over those keys.
 */
export async function embeddedRss(keys: number, rounds: number, seconds: number, connections: number, log: (s: string) => void): Promise<EmbeddedRss> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-embedded-'));
  const env = { DATABASE_URL: undefined, DATA_DIR: dir, KEY_SECRET: randomBytes(32).toString('hex'), LOG_LEVEL: 'info', NODE_ENV: 'production', REDIS_URL: undefined };
  const start = async () => {
    const service = await BenchProcess.start('latchkey embedded', [...START_FLAGS, MAIN], env, true);
    await healthy(service.url);
    return service;
  };
  let service = await start();
  try {
    const operatorKey = readFileSync(join(dir, 'operator.key'), 'utf8').trim();
    const seeded = await seedLatchkey(service.url, operatorKey, keys, 1, () => undefined);
    const first = rssMb(service.child.pid!);
    await service.stop();
    await waitForUnlock(dir);
    service = await start();
    const pid = service.child.pid!;
    const reset = resetPeakRss(pid);
    const atStartMb = rssMb(pid).now;
    log(`embedded: ${seeded.keys.length} keys; first start and seeding ${first.now.toFixed(0)} MB resident (peak ${first.peak.toFixed(0)} MB), restarted on that folder ${atStartMb.toFixed(0)} MB`);
    const load: Load = { keys: seeded.keys, connections, seconds, valid: true };
    for (let round = 1; round <= rounds; round++) {
      const m = await measure(`embedded round ${round}`, service.url, load, pid);
      log(`    round ${round} ${m.rps.toFixed(0)} req/s, ${m.cpuUs.toFixed(0)} us CPU/request, resident ${rssMb(pid).now.toFixed(0)} MB, peak ${rssMb(pid).peak.toFixed(0)} MB`);
    }
    return { peakMb: rssMb(pid).peak, atStartMb, reset, firstStart: { nowMb: first.now, peakMb: first.peak } };
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
