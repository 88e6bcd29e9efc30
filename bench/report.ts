/** One line of the results table. Numbers are formatted here; `met` is null when there is no target. */
export interface Row {
  scenario: string;
  latchkey: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
}

export const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
export const rps = (n: number) => `${num(n)} req/s`;
export const ms = (n: number) => `${num(n, 2)} ms`;

export function table(rows: Row[]): string {
  const header = ['scenario', 'latchkey', 'baseline', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [r.scenario, r.latchkey, r.baseline, r.ratio, r.target, r.met === null ? '' : r.met ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

export interface Summary {
  hot: number;
  cpuRatio: number;
  tutorialRatio: number;
  p50: number;
  p99: number;
  rate: number;
  cold: number;
  coldRatio: number;
  floodDrop: number;
  /** Peak RSS under load on PostgreSQL, and on the embedded database. */
  peakRssMb: number;
  embeddedRssMb: number;
  createMs: number;
  startupS: number;
}

const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** The last line of the output: every headline figure, for logs and CI. */
export function summaryLine(s: Summary): string {
  return (
    `bench: hot ${fixed(s.hot)} req/s (${fixed(s.cpuRatio, 1)}x bare's CPU/request, ` +
    `${Number.isFinite(s.tutorialRatio) ? `${fixed(s.tutorialRatio, 1)}x tutorial` : 'tutorial skipped'}), ` +
    `p50 ${fixed(s.p50, 2)} ms p99 ${fixed(s.p99, 2)} ms @${s.rate} rps, cold ${fixed(s.cold)} req/s (${fixed(s.coldRatio, 1)}x tutorial), ` +
    `flood drop ${fixed(s.floodDrop, 1)} %, peak RSS ${fixed(s.peakRssMb)} MB (PostgreSQL), ${fixed(s.embeddedRssMb)} MB (embedded), create ${fixed(s.createMs, 2)} ms CPU, start ${fixed(s.startupS, 1)} s`
  );
}
