// The Benchmark panel's two charts as plain SVG: the latency histogram and throughput vs concurrency. Colours
// are the theme's CSS variables, set through element.style (allowed by the strict CSP, unlike style
// attributes), so the charts follow light, dark and high-contrast themes like the rest of the panel.
import type { BenchmarkLevel, BenchmarkView } from '../src/panels/protocol';

const SVG = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 220;
const M = { left: 48, right: 16, top: 16, bottom: 40 };
const plotW = W - M.left - M.right;
const plotH = H - M.top - M.bottom;

type Style = Partial<Record<'fill' | 'stroke' | 'strokeWidth' | 'strokeDasharray' | 'fontSize' | 'opacity', string>>;

function svgEl(tag: string, attrs: Record<string, string | number>, style: Style = {}, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  Object.assign(e.style, style);
  if (text !== undefined) e.textContent = text;
  return e;
}

const AXIS: Style = { stroke: 'var(--vscode-foreground)', strokeWidth: '1', opacity: '0.6' };
const GRID: Style = { stroke: 'var(--vscode-foreground)', strokeWidth: '1', strokeDasharray: '2 4', opacity: '0.25' };
const LABEL: Style = { fill: 'var(--vscode-descriptionForeground)', fontSize: '11px' };

/** Round numbers for an axis from 0 to at least `max`: about `count` steps of 1, 2 or 5 × 10^k. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function frame(
  label: string,
  yTicks: number[],
  yTitle: string,
  xTitle: string,
): { svg: SVGElement; y: (v: number) => number } {
  const svg = svgEl('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': label,
    preserveAspectRatio: 'xMinYMin meet',
  });
  svg.append(svgEl('title', {}, {}, label));
  const top = yTicks[yTicks.length - 1] || 1;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  for (const t of yTicks) {
    svg.append(svgEl('line', { x1: M.left, x2: M.left + plotW, y1: y(t), y2: y(t) }, t === 0 ? AXIS : GRID));
    svg.append(
      svgEl(
        'text',
        { x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end' },
        LABEL,
        Number.isInteger(t) ? String(t) : t.toFixed(1),
      ),
    );
  }
  svg.append(svgEl('line', { x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }, AXIS));
  svg.append(
    svgEl(
      'text',
      { x: 12, y: M.top + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${M.top + plotH / 2})` },
      LABEL,
      yTitle,
    ),
  );
  svg.append(svgEl('text', { x: M.left + plotW / 2, y: H - 4, 'text-anchor': 'middle' }, LABEL, xTitle));
  return { svg, y };
}

/** Latency histogram: one bar per bucket, x = latency (ms) at the bucket edges, y = requests. */
export function histogramChart(histogram: BenchmarkView['histogram']): SVGElement {
  const total = histogram.reduce((n, h) => n + h.count, 0);
  const { svg, y } = frame(
    `Latency histogram of ${total} requests`,
    niceTicks(Math.max(1, ...histogram.map((h) => h.count))),
    'requests',
    'latency (ms)',
  );
  if (!histogram.length) return svg;
  const width = histogram.length > 1 ? histogram[1].upToMs - histogram[0].upToMs : 1;
  const edges = [histogram[0].upToMs - width, ...histogram.map((h) => h.upToMs)];
  const barW = plotW / histogram.length;
  histogram.forEach((h, i) => {
    const bar = svgEl(
      'rect',
      {
        x: M.left + i * barW + 1,
        y: y(h.count),
        width: Math.max(1, barW - 2),
        height: M.top + plotH - y(h.count),
        class: 'hist-bar',
      },
      { fill: 'var(--vscode-charts-blue)', stroke: 'var(--vscode-contrastBorder, transparent)', strokeWidth: '1' },
    );
    bar.append(svgEl('title', {}, {}, `${edges[i].toFixed(1)}–${edges[i + 1].toFixed(1)} ms: ${h.count} request(s)`));
    svg.append(bar);
  });
  // Edge labels: first, every few, and last, so they never overlap.
  const every = Math.ceil(edges.length / 6);
  edges.forEach((e, i) => {
    if (i % every !== 0 && i !== edges.length - 1) return;
    svg.append(
      svgEl(
        'text',
        { x: M.left + i * barW, y: M.top + plotH + 14, 'text-anchor': 'middle' },
        LABEL,
        e.toFixed(e < 10 ? 1 : 0),
      ),
    );
  });
  return svg;
}

/** Throughput (requests/s) at each concurrency level: a line through one labelled point per level. */
export function throughputChart(levels: BenchmarkLevel[]): SVGElement {
  const { svg, y } = frame(
    `Throughput at concurrency ${levels.map((l) => `${l.concurrency}: ${l.throughputPerSec.toFixed(1)}/s`).join(', ') || '(none yet)'}`,
    niceTicks(Math.max(1, ...levels.map((l) => l.throughputPerSec))),
    'requests / s',
    'concurrent requests',
  );
  const step = plotW / Math.max(1, levels.length);
  const x = (i: number) => M.left + step * (i + 0.5);
  if (levels.length > 1) {
    svg.append(
      svgEl(
        'polyline',
        { points: levels.map((l, i) => `${x(i)},${y(l.throughputPerSec)}`).join(' '), fill: 'none' },
        { fill: 'none', stroke: 'var(--vscode-charts-green)', strokeWidth: '2' },
      ),
    );
  }
  levels.forEach((l, i) => {
    const point = svgEl(
      'circle',
      { cx: x(i), cy: y(l.throughputPerSec), r: 4, class: 'tp-point' },
      { fill: 'var(--vscode-charts-green)', stroke: 'var(--vscode-editor-background)', strokeWidth: '1' },
    );
    point.append(
      svgEl(
        'title',
        {},
        {},
        `concurrency ${l.concurrency}: ${l.throughputPerSec.toFixed(1)} requests/s, p50 ${l.p50Ms.toFixed(1)} ms, p95 ${l.p95Ms.toFixed(1)} ms`,
      ),
    );
    svg.append(point);
    svg.append(
      svgEl(
        'text',
        { x: x(i), y: y(l.throughputPerSec) - 8, 'text-anchor': 'middle' },
        { ...LABEL, fill: 'var(--vscode-foreground)' },
        `${l.throughputPerSec.toFixed(1)}/s`,
      ),
    );
    svg.append(
      svgEl('text', { x: x(i), y: M.top + plotH + 14, 'text-anchor': 'middle' }, LABEL, String(l.concurrency)),
    );
  });
  return svg;
}
