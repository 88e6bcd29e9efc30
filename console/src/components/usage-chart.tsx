import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Schemas } from '../api';
import { formatDateTime, formatNumber } from '../format';

type Usage = Schemas['UsageDto'];
const CLASSES = [
  { key: 'count_2xx', label: 'Successful (2xx)', color: '#2f855a' },
  { key: 'count_4xx', label: 'Refused (4xx)', color: '#d69e2e' },
  { key: 'count_5xx', label: 'Failed (5xx)', color: '#c53030' },
] as const;

export function usageTotals(usage: Usage) {
  const sum = (k: (typeof CLASSES)[number]['key']) => usage.buckets.reduce((n, b) => n + b[k], 0);
  const totals = { count_2xx: sum('count_2xx'), count_4xx: sum('count_4xx'), count_5xx: sum('count_5xx') };
  return { ...totals, total: totals.count_2xx + totals.count_4xx + totals.count_5xx };
}

/**
 * Requests per hour or day, stacked by status class, drawn by uPlot (it styles its own elements
 * through the CSSOM, which the console's CSP allows). The figure's caption says the same in words.
 */
export function UsageChart({ usage, label }: { usage: Usage; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const totals = usageTotals(usage);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const x = usage.buckets.map((b) => Date.parse(b.start) / 1000);
    // Stacked: each series is drawn as the running total up to its class, largest first.
    const raw = CLASSES.map((c) => usage.buckets.map((b) => b[c.key]));
    const stacked = raw.map((_, i) => usage.buckets.map((_b, j) => raw.slice(0, i + 1).reduce((n, s) => n + s[j], 0)));
    const bars = uPlot.paths.bars!({ size: [0.7, 48] });
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 320),
        height: 240,
        cursor: { points: { show: false } },
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, 4)] } },
        axes: [{ stroke: '#4a5568', grid: { stroke: '#edf2f7' } }, { stroke: '#4a5568', grid: { stroke: '#edf2f7' }, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? formatNumber(t) : '')) }],
        series: [
          { value: (_u, v) => (v == null ? '—' : formatDateTime(new Date(v * 1000).toISOString())) },
          ...CLASSES.map((c, i) => ({ label: c.label, fill: c.color, stroke: c.color, width: 0, paths: bars, points: { show: false }, value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) => (idx == null ? '—' : formatNumber(raw[i][idx])) })).reverse(),
        ],
      },
      [x, ...stacked.slice().reverse()],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 320), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [usage]);
  return (
    <figure class="chart">
      <div ref={box} class="chart-canvas" aria-hidden="true" />
      <ul class="chart-legend" aria-hidden="true">
        {CLASSES.map((c) => (
          <li key={c.key}>
            <span class={`swatch swatch-${c.key}`} />
            {c.label}
          </li>
        ))}
      </ul>
      <figcaption class="chart-caption">
        {label}: <strong>{formatNumber(totals.total)} requests</strong> ({formatNumber(totals.count_2xx)} successful, {formatNumber(totals.count_4xx)} refused, {formatNumber(totals.count_5xx)} failed), per{' '}
        {usage.granularity}.
      </figcaption>
    </figure>
  );
}
