import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { clientBucket } from './client-bucket';
import { FixedWindowStorage, MAX_WINDOWS } from './fixed-window.storage';

// A full collection before each reading, when V8 lets a running process expose it.
setFlagsFromString('--expose-gc');
const gc: () => void = (() => {
  try {
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
};

const MINUTE = 60_000;
const HOUR = 3_600_000;
const address = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

describe('FixedWindowStorage', () => {
  const stores: FixedWindowStorage[] = [];
  const store = (max?: number, sweepMs?: number) => {
    const s = new FixedWindowStorage(sweepMs, max);
    stores.push(s);
    return s;
  };
  afterAll(() => stores.forEach((s) => s.close()));

  /** As the anonymous budget counts a request: a minute and an hour window per address. */
  const countAnonymous = async (s: FixedWindowStorage, ip: string) => {
    const key = `lk:ip:${clientBucket(ip)}`;
    const minute = await s.increment(key, MINUTE, 300, 1, 'minute');
    await s.increment(key, HOUR, 5_000, 1, 'hour');
    return minute;
  };

  it(`holds at most ${MAX_WINDOWS.toLocaleString('en-US')} windows however many addresses call, at a measured cost per address`, async () => {
    const s = store();
    const perAddress = MAX_WINDOWS / 2;
    const before = heapMb();
    for (let n = 0; n < perAddress; n++) await countAnonymous(s, address(n));
    const full = heapMb();
    expect(s.size).toBe(MAX_WINDOWS);
    for (let n = perAddress; n < 200_000; n++) await countAnonymous(s, address(n));
    const after = heapMb();
    const bytesPerAddress = ((full - before) * 1e6) / perAddress;
    console.log(
      `rate-limit memory: ${bytesPerAddress.toFixed(0)} bytes per tracked address (2 windows), ` +
        `${(full - before).toFixed(1)} MB for ${perAddress.toLocaleString('en-US')} addresses; ` +
        `${(after - before).toFixed(1)} MB after 200,000 addresses (${s.size.toLocaleString('en-US')} windows kept)`,
    );
    expect(s.size).toBe(MAX_WINDOWS);
    expect(bytesPerAddress).toBeLessThan(1_000);
    expect(after - before).toBeLessThan(((full - before) * 3) / 2 + 8);
  });

  it('counts an IPv6 client by its /64: rotating through its addresses spends one budget', async () => {
    const s = store();
    let last;
    for (let i = 1; i <= 301; i++) last = await countAnonymous(s, `2001:db8:1:2::${i.toString(16)}`);
    expect(last).toMatchObject({ totalHits: 301, isBlocked: true });
    expect(s.size).toBe(2);
  });

  it('keeps the window of a client that keeps calling while a flood of new addresses fills the table', async () => {
    const s = store(1_000);
    for (let i = 0; i < 6; i++) await s.increment('lk:ip:203.0.113.5', MINUTE, 5, 1, 'minute');
    for (let n = 0; n < 5_000; n++) {
      await s.increment(`lk:ip:${address(n)}`, MINUTE, 5, 1, 'minute');
      if (n % 500 === 0) expect(await s.increment('lk:ip:203.0.113.5', MINUTE, 5, 1, 'minute')).toMatchObject({ isBlocked: true });
    }
    expect(s.size).toBe(1_000);
  });

  it('does not reset a window that a flood pushed out: it comes back with at least its count', async () => {
    const s = store(1_000);
    for (let i = 0; i < 6; i++) await s.increment('lk:ip:203.0.113.5', MINUTE, 5, 1, 'minute');
    for (let n = 0; n < 5_000; n++) await s.increment(`lk:ip:${address(n)}`, MINUTE, 5, 1, 'minute');
    const back = await s.increment('lk:ip:203.0.113.5', MINUTE, 5, 1, 'minute');
    expect(back.totalHits).toBeGreaterThanOrEqual(7);
    expect(back.isBlocked).toBe(true);
    expect(back.timeToExpire).toBeLessThanOrEqual(60);
  });

  it('frees windows once they have expired', async () => {
    const s = store(undefined, 20);
    for (let n = 0; n < 100; n++) await s.increment(`lk:ip:${address(n)}`, 10, 5, 1, 'minute');
    expect(s.size).toBe(100);
    await new Promise((r) => setTimeout(r, 80));
    expect(s.size).toBe(0);
    expect(await s.increment('lk:ip:10.0.0.1', MINUTE, 5, 1, 'minute')).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});
