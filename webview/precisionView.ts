// The Compare Precisions panel: one chart of fp32, msfp9 and msfp8 — per precision a bar each for top-1 and top-5
// agreement with fp32 and for the weight size as a share of fp32's (left axis, %), and mean |Δp| as a line on the
// right axis — then the same numbers as a table (the accessible reading of the chart) with Convert at this precision.
// Colours are the theme's chart variables, set through the CSSOM (the CSP allows no style attributes).
import type { PrecisionRowView, PrecisionView, WebviewMessage } from '../src/panels/protocol';
import { AXIS, GRID, LABEL, legend, niceTicks, svgEl, type Style } from './charts';
import { el, pct } from './dom';

const SVG = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 250;
const M = { left: 48, right: 64, top: 20, bottom: 44 };
const plotW = W - M.left - M.right;
const plotH = H - M.top - M.bottom;

export const PRECISION_SERIES = [
  { key: 'top1', label: 'top-1 agreement with fp32', color: 'var(--vscode-charts-blue)' },
  { key: 'top5', label: 'top-5 agreement with fp32', color: 'var(--vscode-charts-green)' },
  { key: 'size', label: 'weight size (% of fp32)', color: 'var(--vscode-charts-purple)' },
] as const;
// Not charts.orange: it comes from the minimap's find-match colour, and drew pale in Light Modern and not at all in
// Dark High Contrast (e2e screenshots, VS Code 1.139).
export const DELTA_SERIES = { label: 'mean |Δp| (right axis)', color: 'var(--vscode-charts-red)' };

export const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`;
export const delta = (v: number) => (v === 0 ? '0' : v.toExponential(2));

export interface PrecisionBar {
  precision: PrecisionRowView['precision'];
  key: (typeof PRECISION_SERIES)[number]['key'];
  /** Share of the left axis, 0..1. */
  value: number;
  text: string;
}

/** The chart's bars (three per precision, in PRECISION_SERIES order) and the mean |Δp| axis. Pure, unit-tested. */
export function precisionChartModel(rows: PrecisionRowView[]): {
  bars: PrecisionBar[];
  deltaTicks: number[];
  deltas: Array<{ precision: PrecisionRowView['precision']; value: number }>;
} {
  const fp32 = rows.find((r) => r.precision === 'fp32')?.weightBytes ?? Math.max(1, ...rows.map((r) => r.weightBytes));
  const bars = rows.flatMap((r) => {
    const size = fp32 > 0 ? r.weightBytes / fp32 : 0;
    return [
      { precision: r.precision, key: 'top1' as const, value: r.top1Agreement, text: pct(r.top1Agreement) },
      { precision: r.precision, key: 'top5' as const, value: r.top5Agreement, text: pct(r.top5Agreement) },
      { precision: r.precision, key: 'size' as const, value: size, text: `${pct(size)} (${kib(r.weightBytes)})` },
    ];
  });
  const deltaTicks = niceTicks(Math.max(...rows.map((r) => r.meanAbsProbDiff), 0), 4);
  return { bars, deltaTicks, deltas: rows.map((r) => ({ precision: r.precision, value: r.meanAbsProbDiff })) };
}

const VALUE: Style = { fill: 'var(--vscode-foreground)', fontSize: '10px' };

function summary(v: PrecisionView): string {
  return `Precisions of ${v.model} on ${v.images} photos: ${v.rows
    .map(
      (r) =>
        `${r.precision}: top-1 ${pct(r.top1Agreement)}, top-5 ${pct(r.top5Agreement)}, mean |Δp| ${delta(r.meanAbsProbDiff)}, weights ${kib(r.weightBytes)}`,
    )
    .join('; ')}`;
}

export function precisionChart(v: PrecisionView): SVGElement {
  const model = precisionChartModel(v.rows);
  const label = summary(v);
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, width: '100%' });
  svg.append(svgEl('title', {}, {}, label));
  const y = (f: number) => M.top + plotH - Math.max(0, Math.min(1, f)) * plotH;
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(svgEl('line', { x1: M.left, x2: M.left + plotW, y1: y(t), y2: y(t) }, t === 0 ? AXIS : GRID));
    svg.append(svgEl('text', { x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, LABEL, `${t * 100}%`));
  }
  const dTop = model.deltaTicks[model.deltaTicks.length - 1] || 1;
  const yd = (d: number) => M.top + plotH - (Math.max(0, d) / dTop) * plotH;
  for (const t of model.deltaTicks) svg.append(svgEl('text', { x: M.left + plotW + 6, y: yd(t) + 4 }, LABEL, delta(t)));
  svg.append(svgEl('line', { x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }, AXIS));
  svg.append(svgEl('line', { x1: M.left + plotW, x2: M.left + plotW, y1: M.top, y2: M.top + plotH }, AXIS));
  svg.append(
    svgEl('text', { x: M.left + plotW + 6, y: M.top - 6 }, { ...LABEL, fill: DELTA_SERIES.color }, 'mean |Δp|'),
  );

  const group = plotW / Math.max(1, v.rows.length);
  const barW = Math.min(40, (group * 0.75) / PRECISION_SERIES.length);
  const center = (i: number) => M.left + group * (i + 0.5);
  v.rows.forEach((r, i) => {
    PRECISION_SERIES.forEach((s, j) => {
      const b = model.bars.find((x) => x.precision === r.precision && x.key === s.key)!;
      const x = center(i) + (j - (PRECISION_SERIES.length - 1) / 2) * barW - barW / 2;
      const rect = svgEl(
        'rect',
        { x: x + 1, y: y(b.value), width: barW - 2, height: M.top + plotH - y(b.value), class: `bar-${s.key}` },
        { fill: s.color, stroke: 'var(--vscode-contrastBorder, transparent)', strokeWidth: '1' },
      );
      rect.append(svgEl('title', {}, {}, `${r.precision}, ${s.label}: ${b.text}`));
      svg.append(rect);
      svg.append(
        svgEl(
          'text',
          { x: x + barW / 2, y: y(b.value) - 3, 'text-anchor': 'middle' },
          VALUE,
          `${Math.round(b.value * 100)}`,
        ),
      );
    });
    svg.append(
      svgEl(
        'text',
        { x: center(i), y: M.top + plotH + 16, 'text-anchor': 'middle' },
        { ...LABEL, fill: 'var(--vscode-foreground)', fontSize: '12px' },
        r.precision,
      ),
    );
  });
  const pts = model.deltas.map((d, i) => ({ x: center(i), y: yd(d.value), ...d }));
  if (pts.length > 1)
    svg.append(
      svgEl(
        'polyline',
        { points: pts.map((p) => `${p.x},${p.y}`).join(' '), fill: 'none' },
        { fill: 'none', stroke: DELTA_SERIES.color, strokeWidth: '2' },
      ),
    );
  for (const p of pts) {
    const c = svgEl(
      'circle',
      { cx: p.x, cy: p.y, r: 4, class: 'delta-point' },
      { fill: DELTA_SERIES.color, stroke: 'var(--vscode-editor-background)', strokeWidth: '1' },
    );
    c.append(svgEl('title', {}, {}, `${p.precision}, mean |Δp|: ${delta(p.value)}`));
    svg.append(c);
  }
  svg.append(
    svgEl(
      'text',
      { x: M.left + plotW / 2, y: H - 6, 'text-anchor': 'middle' },
      LABEL,
      'bars: % (left axis) · line: mean |Δp| of the class probabilities (right axis)',
    ),
  );
  return svg;
}

export function renderPrecision(v: PrecisionView, post: (m: WebviewMessage) => void): HTMLElement {
  const fp32 = v.rows.find((r) => r.precision === 'fp32')?.weightBytes ?? 0;
  const convert = (p: PrecisionRowView['precision']) => {
    const b = el('vscode-button', { appearance: 'secondary', id: `convert-${p}` });
    b.textContent = `Convert at ${p}…`;
    b.addEventListener('click', () => post({ type: 'convertAt', precision: p }));
    return b;
  };
  const table = el(
    'table',
    { class: 'grid', id: 'precision-table' },
    el('caption', { class: 'muted' }, `Agreement and |Δp| against ${v.reference}`),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Precision', 'Top-1 agreement', 'Top-5 agreement', 'Mean |Δp|', 'Max |Δp|', 'Weights', ''].map((h) =>
          el('th', { scope: 'col' }, h),
        ),
      ),
    ),
    el(
      'tbody',
      {},
      ...v.rows.map((r) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, r.precision),
          el('td', {}, pct(r.top1Agreement)),
          el('td', {}, pct(r.top5Agreement)),
          el('td', {}, delta(r.meanAbsProbDiff)),
          el('td', {}, delta(r.maxAbsProbDiff)),
          el('td', {}, `${kib(r.weightBytes)}${fp32 ? ` (${pct(r.weightBytes / fp32)})` : ''}`),
          el('td', {}, convert(r.precision)),
        ),
      ),
    ),
  );
  return el(
    'section',
    {},
    el(
      'header',
      {},
      el('h1', {}, `Precisions of ${v.model}`),
      el(
        'p',
        { class: 'muted', id: 'precision-status' },
        `${v.images} photo${v.images === 1 ? '' : 's'} from ${v.calibrationDir} · compared with ${v.reference} · ${new Date(v.measuredAt).toLocaleString()}`,
      ),
    ),
    el('div', { class: 'chart', id: 'precision-chart' }, precisionChart(v)),
    legend([...PRECISION_SERIES, DELTA_SERIES]),
    table,
    el(
      'p',
      { class: 'muted' },
      'Top-1: the photo gets the same class as at fp32. Top-5: all of fp32’s five best classes stay among the five best. |Δp|: the difference of each class probability from fp32’s. Weights: Conv/MatMul/Gemm weights in blocks of 16 sharing a 5-bit exponent, the rest fp32.',
    ),
  );
}
