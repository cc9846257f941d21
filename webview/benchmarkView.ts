// The Benchmark panel: per concurrency level a table row (throughput, p50/p90/p99, errors), throughput vs
// concurrency, latency vs throughput (the previous run overlaid when comparing), the mean time per request
// stacked by part, one latency histogram per level (same buckets and scale, so they compare), Export JSON/CSV,
// and Compare with Previous Run (a table of both runs with ratios).
import { compareRuns } from '../src/panels/benchmarkExport';
import type { BenchmarkView, WebviewMessage } from '../src/panels/protocol';
import {
  histogramChart,
  LATENCY_PARTS,
  latencyThroughputChart,
  legend,
  serverTimeChart,
  throughputChart,
} from './charts';
import { el, ms } from './dom';

/** Whether the comparison with the previous run is shown; kept across the re-renders of one panel. */
let comparing = false;

/** "1.25×" for a ratio, with the direction that is better for the measure spelled out in the title. */
export function ratioText(ratio: number | undefined): string {
  return ratio === undefined ? '—' : `${ratio.toFixed(2)}×`;
}

function chart(id: string, title: string, svg: SVGElement, ...extra: HTMLElement[]): HTMLElement {
  svg.setAttribute('width', '100%');
  return el('div', {}, el('h2', {}, title), el('div', { class: 'chart', id }, svg), ...extra);
}

/** A level's histogram under a plain caption (the section heading above names what they are). */
function levelChart(id: string, caption: string, svg: SVGElement): HTMLElement {
  svg.setAttribute('width', '100%');
  return el('div', {}, el('p', { class: 'muted' }, caption), el('div', { class: 'chart', id }, svg));
}

function grid(...children: HTMLElement[]): HTMLElement {
  const g = el('div', { class: 'charts' }, ...children);
  // Side by side when there is room (styles through the CSSOM: the CSP allows no inline style attributes).
  Object.assign(g.style, {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
    gap: '8px 32px',
    maxWidth: '1200px',
  });
  return g;
}

function comparison(v: BenchmarkView): HTMLElement {
  const prev = v.previous!;
  const rows = compareRuns(v.levels, prev.levels);
  const pair = (p: string, c: string, r: number | undefined) => el('td', {}, `${p} → ${c} (${ratioText(r)})`);
  return el(
    'div',
    { id: 'bench-compare' },
    el('h2', {}, 'Compared with the previous run'),
    el(
      'p',
      { class: 'muted' },
      `previous: ${new Date(prev.startedAt).toLocaleString()} · image ${prev.image} · ${prev.requestsPerLevel} requests per level. Ratios are this run ÷ previous: above 1 is better for throughput, below 1 is better for latency.`,
    ),
    el(
      'table',
      { class: 'grid' },
      el('thead', {}, el('tr', {}, ...['Concurrency', 'Throughput (/s)', 'p50', 'p99'].map((h) => el('th', {}, h)))),
      el(
        'tbody',
        {},
        ...rows.map((r) =>
          el(
            'tr',
            {},
            el('td', {}, String(r.concurrency)),
            pair(
              r.previous ? r.previous.throughputPerSec.toFixed(1) : '—',
              r.current ? r.current.throughputPerSec.toFixed(1) : '—',
              r.throughputRatio,
            ),
            pair(ms(r.previous?.p50Ms), ms(r.current?.p50Ms), r.p50Ratio),
            pair(ms(r.previous?.p99Ms), ms(r.current?.p99Ms), r.p99Ratio),
          ),
        ),
      ),
    ),
  );
}

export function renderBenchmark(v: BenchmarkView, post: (m: WebviewMessage) => void): HTMLElement {
  const button = (label: string, id: string, onClick: () => void, appearance = 'secondary') => {
    const b = el('vscode-button', { appearance, id });
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  };
  const actions = el('div', { class: 'actions' });
  if (v.done) {
    actions.append(
      button('Export JSON…', 'export-json', () => post({ type: 'exportBenchmark', format: 'json' }), 'primary'),
      button('Export CSV…', 'export-csv', () => post({ type: 'exportBenchmark', format: 'csv' })),
    );
    if (v.previous)
      actions.append(
        button(comparing ? 'Hide Previous Run' : 'Compare with Previous Run', 'compare-previous', () => {
          comparing = !comparing;
          document.getElementById('app')!.replaceChildren(renderBenchmark(v, post));
        }),
      );
  } else actions.append(el('vscode-progress-ring', {}));
  const showPrevious = v.done && comparing && v.previous;

  const table = el(
    'table',
    { class: 'grid', id: 'bench-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Concurrency', 'Requests', 'Throughput', 'p50', 'p90', 'p99', 'Errors'].map((h) => el('th', {}, h)),
      ),
    ),
    el(
      'tbody',
      {},
      ...v.levels.map((l) =>
        el(
          'tr',
          {},
          el('td', {}, String(l.concurrency)),
          el('td', {}, String(l.requests)),
          el('td', {}, `${l.throughputPerSec.toFixed(1)}/s`),
          el('td', {}, ms(l.p50Ms)),
          el('td', {}, ms(l.p90Ms)),
          el('td', {}, ms(l.p99Ms)),
          el('td', {}, String(l.errors)),
        ),
      ),
    ),
  );
  const errors = v.levels
    .filter((l) => l.firstError)
    .map((l) => {
      const p = el(
        'p',
        { class: 'error' },
        `concurrency ${l.concurrency}: ${l.errors} error(s), first: ${l.firstError}`,
      );
      p.style.color = 'var(--vscode-errorForeground)';
      return p;
    });

  const histTop = Math.max(1, ...v.levels.flatMap((l) => l.histogram.map((h) => h.count)));
  const histograms = v.levels.map((l) =>
    levelChart(
      `latency-histogram-${l.concurrency}`,
      `concurrency ${l.concurrency}: ${l.requests - l.errors} requests, p50 ${ms(l.p50Ms)}, p99 ${ms(l.p99Ms)}`,
      histogramChart(l.histogram, `requests at concurrency ${l.concurrency}`, histTop),
    ),
  );
  const curveKey = legend([
    { label: 'this run: p50, whisker to p99 (tick at p90)', color: 'var(--vscode-charts-red)' },
    ...(showPrevious ? [{ label: 'previous run', color: 'var(--vscode-descriptionForeground)' }] : []),
  ]);
  const summary = grid(
    chart(
      'latency-throughput',
      'Latency vs throughput',
      latencyThroughputChart(v.levels, showPrevious ? v.previous!.levels : undefined),
      curveKey,
    ),
    chart('throughput-chart', 'Throughput vs concurrency', throughputChart(v.levels)),
    chart(
      'server-time',
      'Mean time per request',
      serverTimeChart(v.levels),
      legend(LATENCY_PARTS.map((p) => ({ label: p.label, color: p.color }))),
    ),
  );
  const perLevel = grid(...histograms);
  perLevel.id = 'latency-histogram';
  const small =
    v.requestsPerLevel < 100
      ? ` · p99 of ${v.requestsPerLevel} requests lies between the two slowest (raise accel.benchmark.requestsPerLevel for a steadier tail)`
      : '';
  return el(
    'section',
    {},
    el(
      'header',
      {},
      el('h1', {}, `Benchmark of ${v.service}`),
      el(
        'p',
        { class: 'muted', id: 'bench-status' },
        `image ${v.image} · ${v.warmupRequests} warm-up request(s) not counted · ${v.requestsPerLevel} requests per level${small} · ${v.done ? 'done' : 'running…'}`,
      ),
    ),
    actions,
    table,
    ...errors,
    ...(showPrevious ? [comparison(v)] : []),
    summary,
    el('h2', {}, 'Latency histogram per level'),
    perLevel,
  );
}
