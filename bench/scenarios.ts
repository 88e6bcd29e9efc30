import { type Contender, floodInWorker, junkKeys, type Load, measure, median, paced, percentile, sideBySide } from './load';
import { ms, num, type Row, rps } from './report';

export interface Setup {
  latchkey: Contender;
  bare: Contender;
  /** Only with a PostgreSQL server (DATABASE_URL): the tutorial design needs `pg`. */
  tutorial?: Contender;
  /** A second Latchkey on the same database with LOG_LEVEL=warn (no request lines), when measured. */
  latchkeyOther?: Contender;
  /** A few keys every request cycles through: all cached after the first use. */
  hotKeys: string[];
  /** Every seeded key, for the cold path. */
  allKeys: string[];
  /** Empties Latchkey's key cache through the API (a plan change invalidates every cached key). */
  emptyKeyCache: () => Promise<void>;
  rounds: number;
  seconds: number;
  warmup: number;
  connections: number;
  log: (line: string) => void;
}

const ratioCell = (r: number, digits = 2) => `${num(r, digits)}x`;

/** Scenarios 1 and 2: GET /v1/me as fast as it goes, Latchkey vs the bare app vs the tutorial design. */
export async function hotPath(s: Setup) {
  s.log(`hot path: GET /v1/me over ${s.hotKeys.length} keys, ${s.connections} connections`);
  const load: Load = { keys: s.hotKeys, connections: s.connections, seconds: s.seconds, valid: true };
  const contenders = [s.latchkey, s.bare, ...(s.tutorial ? [s.tutorial] : [])];
  const { rps: runs, cpuUs } = await sideBySide(contenders, load, s.rounds, s.warmup, s.log);
  const hot = median(runs.get(s.latchkey.name)!);
  const bare = median(runs.get(s.bare.name)!);
  const tutorial = s.tutorial ? median(runs.get(s.tutorial.name)!) : NaN;
  const cpuLatchkey = median(cpuUs.get(s.latchkey.name)!);
  const cpuBare = median(cpuUs.get(s.bare.name)!);
  const cpuRatio = cpuLatchkey / cpuBare;
  const rows: Row[] = [
    // The target: less sensitive to other load on the machine than req/s, the server process's own CPU time.
    { scenario: '1. hot path CPU/request vs bare NestJS', latchkey: `${num(cpuLatchkey)} us`, baseline: `${num(cpuBare)} us (bare)`, ratio: ratioCell(cpuRatio, 1), target: '<= 3x', met: cpuRatio <= 3 },
    { scenario: '   hot path req/s vs bare NestJS', latchkey: rps(hot), baseline: rps(bare), ratio: ratioCell(hot / bare), target: '', met: null },
    s.tutorial
      ? { scenario: '2. hot path vs tutorial design', latchkey: rps(hot), baseline: rps(tutorial), ratio: ratioCell(hot / tutorial, 1), target: '', met: null }
      : { scenario: '2. hot path vs tutorial design', latchkey: rps(hot), baseline: 'skipped (needs DATABASE_URL)', ratio: '', target: '', met: null },
  ];
  return { rows, hot, cpuRatio, bareRatio: hot / bare, tutorialRatio: hot / tutorial };
}

/** The hot path at LOG_LEVEL=info (one JSON line per request, the design) against warn (none). */
export async function logLevels(s: Setup): Promise<Row[]> {
  if (!s.latchkeyOther) return [];
  s.log('log level: the hot path with LOG_LEVEL=info vs LOG_LEVEL=warn (stdout to /dev/null)');
  const load: Load = { keys: s.hotKeys, connections: s.connections, seconds: s.seconds, valid: true };
  const { cpuUs } = await sideBySide([s.latchkey, s.latchkeyOther], load, s.rounds, s.warmup, s.log);
  const info = median(cpuUs.get(s.latchkey.name)!);
  const warn = median(cpuUs.get(s.latchkeyOther.name)!);
  return [{ scenario: '   hot path CPU/request, LOG_LEVEL=info vs warn', latchkey: `${num(info)} us`, baseline: `${num(warn)} us (warn)`, ratio: ratioCell(info / warn), target: '', met: null }];
}

/**
 * Scenario 3: latency at a fixed 1,000 requests/s, with autocannon's overallRate (each connection
 * sends its share of a second back to back, then waits) and with evenly spaced requests.
 */
export async function latency(s: Setup, rate = 1000) {
  s.log(`latency: GET /v1/me at ${rate} req/s`);
  const load: Load = { keys: s.hotKeys, connections: s.connections, seconds: s.seconds, overallRate: rate, valid: true, keepLatencies: true };
  await measure('latency warm-up', s.latchkey.url, { ...load, seconds: s.warmup });
  await measure('latency warm-up, bare', s.bare.url, { ...load, seconds: s.warmup });
  const bursty = { p50: [] as number[], p99: [] as number[], rps: [] as number[] };
  const even = { p50: [] as number[], p99: [] as number[], rps: [] as number[] };
  // The same bursty load on the bare app: what the load pattern and the shared cores cost by themselves.
  const bare = { p50: [] as number[], p99: [] as number[] };
  for (let round = 1; round <= s.rounds; round++) {
    const a = await measure(`latency round ${round}`, s.latchkey.url, load);
    bursty.p50.push(percentile(a.latencies, 50));
    bursty.p99.push(percentile(a.latencies, 99));
    bursty.rps.push(a.rps);
    const b = await paced(s.latchkey.url, s.hotKeys, rate, s.seconds);
    even.p50.push(percentile(b.latencies, 50));
    even.p99.push(percentile(b.latencies, 99));
    even.rps.push(b.rps);
    const c = await measure(`latency round ${round}, bare`, s.bare.url, load);
    bare.p50.push(percentile(c.latencies, 50));
    bare.p99.push(percentile(c.latencies, 99));
    s.log(
      `    round ${round} autocannon ${num(a.rps)} req/s p50 ${ms(bursty.p50.at(-1)!)} p99 ${ms(bursty.p99.at(-1)!)}; ` +
        `evenly paced ${num(b.rps)} req/s p50 ${ms(even.p50.at(-1)!)} p99 ${ms(even.p99.at(-1)!)}; ` +
        `bare NestJS (autocannon) p50 ${ms(bare.p50.at(-1)!)} p99 ${ms(bare.p99.at(-1)!)}`,
    );
  }
  const p50 = median(bursty.p50);
  const p99 = median(bursty.p99);
  // Below the asked rate the server could not keep up: the figures are then queueing, not service time.
  const short = (achieved: number) => (achieved < rate * 0.95 ? ` (only ${num(achieved)} req/s)` : '');
  const rows: Row[] = [
    {
      scenario: `3. latency @${rate} rps (autocannon)`,
      latchkey: `p50 ${ms(p50)}, p99 ${ms(p99)}${short(median(bursty.rps))}`,
      baseline: `p50 ${ms(median(bare.p50))}, p99 ${ms(median(bare.p99))} (bare)`,
      ratio: '',
      target: 'p99 < 5 ms',
      met: p99 < 5,
    },
    { scenario: `   latency @${rate} rps (evenly paced)`, latchkey: `p50 ${ms(median(even.p50))}, p99 ${ms(median(even.p99))}${short(median(even.rps))}`, baseline: '', ratio: '', target: 'p99 < 5 ms', met: median(even.p99) < 5 },
  ];
  return { rows, p50, p99, rate };
}

/**
 * Scenario 4: each request a random key of all those seeded. The key cache is emptied before each
 * round, so a request hits it only when its key already came up in that round.
 */
export async function coldPath(s: Setup) {
  const n = s.allKeys.length;
  s.log(`cold path: GET /v1/me over ${n} distinct keys at random, key cache emptied before each round`);
  const load: Load = { keys: s.allKeys, connections: s.connections, seconds: s.seconds, valid: true };
  await measure('cold warm-up', s.latchkey.url, { ...load, seconds: s.warmup });
  const runs: number[] = [];
  const cpu: number[] = [];
  const tutorialRuns: number[] = [];
  for (let round = 1; round <= s.rounds; round++) {
    await s.emptyKeyCache();
    const m = await measure(`cold round ${round}`, s.latchkey.url, load, s.latchkey.pid);
    runs.push(m.rps);
    cpu.push(m.cpuUs);
    // Uniform draws: the expected share of requests whose key was already drawn this round.
    const r = m.rps * s.seconds;
    const hits = 1 - (n / r) * (1 - Math.exp(-r / n));
    s.log(`    round ${round} latchkey         ${num(m.rps).padStart(7)} req/s, ${num(m.cpuUs)} us CPU/request, ~${num(hits * 100, 1)} % cache hits expected`);
    if (!s.tutorial) continue;
    tutorialRuns.push((await measure(`cold round ${round}, tutorial`, s.tutorial.url, load)).rps);
    s.log(`    round ${round} ${s.tutorial.name.padEnd(16)} ${num(tutorialRuns.at(-1)!).padStart(7)} req/s`);
  }
  const cold = median(runs);
  const tutorial = median(tutorialRuns);
  const ratio = cold / tutorial;
  const row: Row = {
    scenario: `4. cold path (${num(n)} keys, ${num(median(cpu))} us CPU/request)`,
    latchkey: rps(cold),
    baseline: s.tutorial ? `${rps(tutorial)} (tutorial)` : 'skipped (needs DATABASE_URL)',
    ratio: s.tutorial ? ratioCell(ratio, 1) : '',
    target: '>= 2x tutorial',
    met: s.tutorial ? ratio >= 2 : null,
  };
  return { rows: [row], cold, ratio };
}

/**
 * Scenario 5: valid traffic alone and next to 5,000 made-up keys per second, alternately. The junk
 * comes from the lean generator of bench/flood.ts in a worker thread (its own CPU per request is
 * printed): autocannon spent about 65 us of CPU per junk request, a third of one of the two cores
 * the service, the valid client and the database share, which the drop then counted as the service's.
 */
export async function flood(s: Setup, junkRate = 5000) {
  s.log(`flood: valid traffic alone vs next to ${junkRate} junk keys/s`);
  const valid: Load = { keys: s.hotKeys, connections: s.connections, seconds: s.seconds, valid: true };
  const junk = { keys: junkKeys(20_000), connections: 20, seconds: s.seconds, overallRate: junkRate, valid: false };
  await measure('flood warm-up', s.latchkey.url, { ...valid, seconds: s.warmup });
  const alone: number[] = [];
  const flooded: number[] = [];
  const junkRps: number[] = [];
  const generatorUs: number[] = [];
  const junkCodes: Record<string, number> = {};
  let skipped = 0;
  for (let round = 1; round <= s.rounds; round++) {
    alone.push((await measure(`flood round ${round}, alone`, s.latchkey.url, valid)).rps);
    const [v, j] = await Promise.all([measure(`flood round ${round}, flooded`, s.latchkey.url, valid), floodInWorker(s.latchkey.url, junk)]);
    flooded.push(v.rps);
    junkRps.push(j.rps);
    generatorUs.push(j.clientCpuUs);
    skipped += j.skipped;
    for (const [code, n] of Object.entries(j.statusCodes)) junkCodes[code] = (junkCodes[code] ?? 0) + n;
    s.log(`    round ${round} alone ${num(alone.at(-1)!)} req/s, flooded ${num(v.rps)} req/s (+ ${num(j.rps)} junk req/s answered; generator ${num(j.clientCpuUs)} us CPU/request)`);
  }
  const drop = (1 - median(flooded) / median(alone)) * 100;
  const codes = Object.entries(junkCodes).map(([c, n]) => `${c}: ${num(n)}`).join(', ');
  const row: Row = {
    scenario: `5. valid req/s, ${num(junkRate)} junk/s offered (${num(median(junkRps))}/s answered)`,
    latchkey: `${rps(median(flooded))} flooded`,
    baseline: `${rps(median(alone))} alone`,
    ratio: `-${num(drop, 1)} %`,
    target: 'drop < 20 %',
    met: drop < 20,
  };
  s.log(`    junk answered at ${num(median(junkRps))} req/s (${codes}); ${num(skipped)} not sent (every connection busy); generator ${num(median(generatorUs))} us CPU/request`);
  return { rows: [row], drop };
}
