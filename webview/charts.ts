// The Benchmark panel's charts as plain SVG: a latency histogram per level, throughput vs concurrency, latency vs
// throughput (p50 with a p90–p99 whisker) and the mean time per level split into connect + transport, queue,
// preprocess and inference. Colours are the theme's CSS variables, set through element.style (allowed by the
// strict CSP, unlike style attributes), so the charts follow light, dark and high-contrast themes like the rest
// of the panel. The scale and stacking helpers are pure (unit-tested without a DOM).
import type { BenchmarkLevel, LatencyHistogram, MeanTimings } from '../src/panels/protocol';

const SVG = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 220;
const M = { left: 48, right: 16, top: 16, bottom: 40 };
const plotW = W - M.left - M.right;
const plotH = H - M.top - M.bottom;

export type Style = Partial<
  Record<'fill' | 'stroke' | 'strokeWidth' | 'strokeDasharray' | 'fontSize' | 'opacity', string>
>;

export function svgEl(
  tag: string,
  attrs: Record<string, string | number>,
  style: Style = {},
  text?: string,
): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  Object.assign(e.style, style);
  if (text !== undefined) e.textContent = text;
  return e;
}

export const AXIS: Style = { stroke: 'var(--vscode-foreground)', strokeWidth: '1', opacity: '0.6' };
export const GRID: Style = {
  stroke: 'var(--vscode-foreground)',
  strokeWidth: '1',
  strokeDasharray: '2 4',
  opacity: '0.25',
};
export const LABEL: Style = { fill: 'var(--vscode-descriptionForeground)', fontSize: '11px' };

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

/** The parts of a request's latency, in the order they stack, with their theme colours (Score Result and Benchmark). */
export const LATENCY_PARTS: ReadonlyArray<{ key: keyof Omit<MeanTimings, 'clientMs'>; label: string; color: string }> =
  [
    { key: 'networkMs', label: 'connect + transport', color: 'var(--vscode-charts-blue)' },
    { key: 'queueMs', label: 'server: queue', color: 'var(--vscode-charts-yellow)' },
    { key: 'preprocessMs', label: 'server: preprocess', color: 'var(--vscode-charts-purple)' },
    { key: 'inferenceMs', label: 'server: inference', color: 'var(--vscode-charts-green)' },
  ];

/** Stacked segments of one level's mean time: each part's start and end (ms), zero parts left out. */
export function stackSegments(
  mean: Partial<MeanTimings>,
): Array<{ key: string; label: string; color: string; from: number; to: number }> {
  let at = 0;
  return LATENCY_PARTS.flatMap((p) => {
    const v = mean[p.key] ?? 0;
    if (!(v > 0)) return [];
    const seg = { key: p.key, label: p.label, color: p.color, from: at, to: at + v };
    at += v;
    return [seg];
  });
}

/** Maps a value in [0, top] onto a pixel span starting at `start` (length may be negative: y grows downwards). */
export function scale(top: number, start: number, length: number): (v: number) => number {
  const t = top > 0 ? top : 1;
  return (v) => start + (Math.max(0, Math.min(t, v)) / t) * length;
}

/** Latency histogram of one level: one bar per bucket, x = latency (ms) at the bucket edges, y = requests. */
export function histogramChart(histogram: LatencyHistogram, what = 'requests', yTop?: number): SVGElement {
  const total = histogram.reduce((n, h) => n + h.count, 0);
  const { svg, y } = frame(
    `Latency histogram of ${total} ${what}`,
    niceTicks(yTop ?? Math.max(1, ...histogram.map((h) => h.count))),
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
        `concurrency ${l.concurrency}: ${l.throughputPerSec.toFixed(1)} requests/s, p50 ${l.p50Ms.toFixed(1)} ms, p90 ${l.p90Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms`,
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

/** Chart coordinates of each level on the latency-vs-throughput plane (x = throughput; y = p50, p90, p99). */
export function curvePoints(
  levels: BenchmarkLevel[],
  xTop: number,
  yTop: number,
): Array<{ concurrency: number; x: number; y50: number; y90: number; y99: number }> {
  const x = scale(xTop, M.left, plotW);
  const y = scale(yTop, M.top + plotH, -plotH);
  return levels.map((l) => ({
    concurrency: l.concurrency,
    x: x(l.throughputPerSec),
    y50: y(l.p50Ms),
    y90: y(l.p90Ms),
    y99: y(l.p99Ms),
  }));
}

/**
 * Latency vs throughput, one point per level: p50 as the point, a whisker up to p99 with a tick at p90; the
 * previous run, when given, dashed beside it.
 */
export function latencyThroughputChart(levels: BenchmarkLevel[], previous?: BenchmarkLevel[]): SVGElement {
  const both = [...levels, ...(previous ?? [])];
  const xTicks = niceTicks(Math.max(1, ...both.map((l) => l.throughputPerSec)));
  const yTicks = niceTicks(Math.max(1, ...both.map((l) => l.p99Ms)));
  const { svg } = frame(
    `Latency vs throughput: ${levels.map((l) => `concurrency ${l.concurrency}: ${l.throughputPerSec.toFixed(1)}/s at p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms`).join('; ') || '(none yet)'}`,
    yTicks,
    'latency (ms)',
    'throughput (requests / s)',
  );
  const xTop = xTicks[xTicks.length - 1];
  const yTop = yTicks[yTicks.length - 1];
  const x = scale(xTop, M.left, plotW);
  for (const t of xTicks) {
    svg.append(
      svgEl(
        'text',
        { x: x(t), y: M.top + plotH + 14, 'text-anchor': 'middle' },
        LABEL,
        Number.isInteger(t) ? String(t) : t.toFixed(1),
      ),
    );
  }
  const series = (run: BenchmarkLevel[], color: string, cls: string, dashed: boolean, who: string) => {
    const pts = curvePoints(run, xTop, yTop);
    if (pts.length > 1) {
      svg.append(
        svgEl(
          'polyline',
          { points: pts.map((p) => `${p.x},${p.y50}`).join(' '), fill: 'none' },
          { fill: 'none', stroke: color, strokeWidth: '2', ...(dashed ? { strokeDasharray: '5 4' } : {}) },
        ),
      );
    }
    pts.forEach((p, i) => {
      const l = run[i];
      const whisker: Style = { stroke: color, strokeWidth: '1.5', ...(dashed ? { strokeDasharray: '3 3' } : {}) };
      svg.append(svgEl('line', { x1: p.x, x2: p.x, y1: p.y50, y2: p.y99, class: `${cls}-whisker` }, whisker));
      svg.append(svgEl('line', { x1: p.x - 5, x2: p.x + 5, y1: p.y99, y2: p.y99 }, whisker));
      svg.append(svgEl('line', { x1: p.x - 3, x2: p.x + 3, y1: p.y90, y2: p.y90 }, whisker));
      const point = svgEl(
        'circle',
        { cx: p.x, cy: p.y50, r: 4, class: cls },
        dashed
          ? { fill: 'var(--vscode-editor-background)', stroke: color, strokeWidth: '2' }
          : { fill: color, stroke: 'var(--vscode-editor-background)', strokeWidth: '1' },
      );
      point.append(
        svgEl(
          'title',
          {},
          {},
          `${who}, concurrency ${l.concurrency}: ${l.throughputPerSec.toFixed(1)} requests/s; p50 ${l.p50Ms.toFixed(1)} ms, p90 ${l.p90Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms`,
        ),
      );
      svg.append(point);
      if (!dashed)
        svg.append(
          svgEl(
            'text',
            { x: p.x + 7, y: p.y50 + 12 },
            { ...LABEL, fill: 'var(--vscode-foreground)' },
            `×${l.concurrency}`,
          ),
        );
    });
  };
  if (previous?.length) series(previous, 'var(--vscode-descriptionForeground)', 'lt-prev-point', true, 'previous run');
  series(levels, 'var(--vscode-charts-red)', 'lt-point', false, 'this run');
  return svg;
}

/** Mean time per request at each level, stacked: connect + transport, then the server's queue, preprocess, inference. */
export function serverTimeChart(levels: BenchmarkLevel[]): SVGElement {
  const withMean = levels.filter((l) => l.mean);
  const { svg, y } = frame(
    `Mean time per request: ${
      withMean
        .map(
          (l) =>
            `concurrency ${l.concurrency}: ${stackSegments(l.mean!)
              .map((s) => `${s.label} ${(s.to - s.from).toFixed(1)} ms`)
              .join(', ')}`,
        )
        .join('; ') || '(none yet)'
    }`,
    niceTicks(Math.max(1, ...withMean.map((l) => l.mean!.clientMs))),
    'mean ms per request',
    'concurrent requests',
  );
  const step = plotW / Math.max(1, levels.length);
  const barW = Math.min(56, step * 0.6);
  levels.forEach((l, i) => {
    const cx = M.left + step * (i + 0.5);
    for (const s of l.mean ? stackSegments(l.mean) : []) {
      const rect = svgEl(
        'rect',
        { x: cx - barW / 2, y: y(s.to), width: barW, height: Math.max(0, y(s.from) - y(s.to)), class: 'stack-seg' },
        { fill: s.color, stroke: 'var(--vscode-contrastBorder, transparent)', strokeWidth: '1' },
      );
      rect.append(svgEl('title', {}, {}, `concurrency ${l.concurrency}, ${s.label}: ${(s.to - s.from).toFixed(2)} ms`));
      svg.append(rect);
    }
    svg.append(svgEl('text', { x: cx, y: M.top + plotH + 14, 'text-anchor': 'middle' }, LABEL, String(l.concurrency)));
  });
  return svg;
}

/** A legend of colour swatches and labels (HTML), coloured through the CSSOM like the charts. */
export function legend(items: ReadonlyArray<{ label: string; color: string; value?: string }>): HTMLElement {
  const list = document.createElement('ul');
  list.className = 'legend';
  Object.assign(list.style, {
    listStyle: 'none',
    padding: '0',
    margin: '4px 0 8px',
    display: 'flex',
    flexWrap: 'wrap',
    gap: '4px 16px',
  });
  for (const item of items) {
    const li = document.createElement('li');
    Object.assign(li.style, { display: 'flex', alignItems: 'center', gap: '6px' });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.setAttribute('aria-hidden', 'true');
    Object.assign(swatch.style, {
      display: 'inline-block',
      width: '12px',
      height: '12px',
      borderRadius: '2px',
      background: item.color,
      border: '1px solid var(--vscode-contrastBorder, transparent)',
    });
    li.append(swatch, item.value === undefined ? item.label : `${item.label}: ${item.value}`);
    list.append(li);
  }
  return list;
}
