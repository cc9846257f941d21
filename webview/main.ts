// Browser side of the result panels. Renders the view the host sends (typed in src/panels/protocol.ts)
// with plain DOM (text only, never HTML from data) and VS Code Elements web components; colours come from the
// theme's CSS variables (media/webview.css), so light, dark and high-contrast themes all work.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import {
  parseHostMessage,
  type BatchView,
  type BenchmarkView,
  type ModelView,
  type PanelView,
  type ScoreView,
  type WebviewMessage,
} from '../src/panels/protocol';
import { histogramChart, throughputChart } from './charts';

declare function acquireVsCodeApi(): {
  postMessage(m: WebviewMessage): void;
  setState(s: unknown): void;
  getState(): unknown;
};
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string>,
  ...children: Array<Node | string | undefined>
): HTMLElementTagNameMap[K];
function el(tag: string, attrs?: Record<string, string>, ...children: Array<Node | string | undefined>): HTMLElement;
function el(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string | undefined>
): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

const ms = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function bar(fraction: number, cls = ''): HTMLElement {
  const b = el('div', { class: `bar ${cls}` });
  const fill = el('div', { class: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  b.append(fill);
  return b;
}

function button(label: string, message: WebviewMessage, appearance = 'primary'): HTMLElement {
  const b = el('vscode-button', { appearance });
  b.textContent = label;
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function renderScore(v: ScoreView): HTMLElement {
  const figure = el('div', { class: 'figure' });
  if (v.imageUri) {
    const img = el('img', { src: v.imageUri, alt: v.fileName, id: 'scored-image' });
    figure.append(img);
    if (v.boxes.length) {
      const overlay = el('div', { class: 'boxes' });
      for (const b of v.boxes) {
        const box = el('div', { class: 'box' }, el('span', {}, `${b.label} ${pct(b.score)}`));
        Object.assign(box.style, {
          left: pct(b.xmin),
          top: pct(b.ymin),
          width: pct(b.xmax - b.xmin),
          height: pct(b.ymax - b.ymin),
        });
        overlay.append(box);
      }
      figure.append(overlay);
    }
  } else {
    figure.append(el('p', { class: 'muted' }, `${v.fileName} (this format cannot be previewed)`));
  }
  const top = v.top[0];
  const list = el('ol', { class: 'top', id: 'top-k' });
  for (const p of v.top) {
    list.append(
      el(
        'li',
        { 'data-class': String(p.index) },
        el(
          'div',
          { class: 'row' },
          el('span', { class: 'label' }, p.label),
          el('span', { class: 'score' }, pct(p.score)),
        ),
        bar(p.score),
      ),
    );
  }
  const l = v.latency;
  const parts: Array<[string, number | undefined, string]> = [
    ['network', l.networkMs, 'net'],
    ['queue', l.queueMs, 'queue'],
    ['preprocess', l.preprocessMs, 'pre'],
    ['inference', l.inferenceMs, 'inf'],
  ];
  const stack = el('div', { class: 'stack', role: 'img', 'aria-label': 'latency breakdown' });
  for (const [name, value, cls] of parts) {
    if (!value) continue;
    const seg = el('div', { class: `seg ${cls}`, title: `${name}: ${ms(value)}` });
    seg.style.width = `${(value / Math.max(l.clientMs, 1e-6)) * 100}%`;
    stack.append(seg);
  }
  const legend = el(
    'table',
    { class: 'latency' },
    ...[['client (total)', l.clientMs], ...parts.map(([n, val]) => [n, val] as [string, number | undefined])].map(
      ([n, val]) => el('tr', {}, el('th', {}, n as string), el('td', {}, ms(val as number | undefined))),
    ),
  );
  return el(
    'section',
    { class: 'score' },
    el(
      'header',
      {},
      el('h1', { id: 'top1' }, top ? top.label : 'no result'),
      el('p', { class: 'muted' }, `${v.fileName} · ${v.service} (${v.scoringUri}) · model ${v.modelId}`),
    ),
    el(
      'div',
      { class: 'columns' },
      figure,
      el('div', {}, el('h2', {}, `Top ${v.top.length}`), list, el('h2', {}, 'Latency'), stack, legend),
    ),
  );
}

function renderBatch(v: BatchView): HTMLElement {
  const ok = v.rows.filter((r) => !r.error).length;
  const head = el(
    'header',
    {},
    el('h1', {}, `Scores of ${v.folder}`),
    el(
      'p',
      { class: 'muted', id: 'batch-status' },
      `${v.rows.length} image(s) · ${ok} scored · ${v.rows.length - ok} failed · ${v.done ? (v.cancelled ? 'cancelled' : 'done') : 'running…'} · ${v.service}`,
    ),
  );
  const actions = el('div', { class: 'actions' });
  if (!v.done) actions.append(el('vscode-progress-ring', {}), button('Cancel', { type: 'cancel' }, 'secondary'));
  else actions.append(button('Export CSV…', { type: 'exportCsv' }));
  const table = el(
    'table',
    { class: 'grid', id: 'batch-table' },
    el('thead', {}, el('tr', {}, ...['File', 'Top-1', 'Score', 'Latency'].map((h) => el('th', {}, h)))),
    el(
      'tbody',
      {},
      ...v.rows.map((r) =>
        el(
          'tr',
          { class: r.error ? 'failed' : '' },
          el('td', {}, r.file),
          el('td', {}, r.error ? `error: ${r.error}` : (r.top1?.label ?? '')),
          el('td', {}, r.top1 ? pct(r.top1.score) : ''),
          el('td', {}, ms(r.latencyMs)),
        ),
      ),
    ),
  );
  return el('section', {}, head, actions, table);
}

function renderModel(v: ModelView): HTMLElement {
  const tensors = (title: string, list: ModelView['inputs']) =>
    el(
      'div',
      {},
      el('h2', {}, title),
      el(
        'table',
        { class: 'grid' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Type'), el('th', {}, 'Shape'))),
        el(
          'tbody',
          {},
          ...list.map((t) =>
            el('tr', {}, el('td', {}, t.name), el('td', {}, t.dtype), el('td', {}, `[${t.shape.join(', ')}]`)),
          ),
        ),
      ),
    );
  const facts: Array<[string, string | undefined]> = [
    ['Framework', v.framework],
    ['Preprocessing preset', v.preset],
    ['Labels', v.labels],
    ['File', `${v.fileName} (${(v.sizeBytes / 1048576).toFixed(2)} MiB)`],
    ['Converted from', v.parentId],
    ['Precision', v.precision],
    ['Description', v.description],
    [
      'Tags',
      Object.entries(v.tags)
        .map(([k, val]) => (val ? `${k}=${val}` : k))
        .join(', ') || undefined,
    ],
  ];
  const section = el(
    'section',
    {},
    el('header', {}, el('h1', {}, v.id)),
    el(
      'table',
      { class: 'facts' },
      ...facts.filter(([, val]) => val).map(([k, val]) => el('tr', {}, el('th', {}, k), el('td', {}, val!))),
    ),
    tensors('Inputs', v.inputs),
    tensors('Outputs', v.outputs),
  );
  if (v.report) {
    section.append(
      el('h2', {}, 'Compatibility report'),
      el('p', {}, el('vscode-badge', {}, v.report.compatible ? 'compatible' : 'not compatible')),
      el('ul', {}, ...v.report.lines.map((line) => el('li', {}, line))),
      el('h2', {}, `Accuracy delta at ${v.precision ?? 'this precision'}`),
      v.report.accuracyDelta.length
        ? el('ul', { id: 'accuracy-delta' }, ...v.report.accuracyDelta.map((line) => el('li', {}, line)))
        : el('p', { class: 'muted', id: 'accuracy-delta' }, 'not measured (see the report above)'),
    );
  }
  return section;
}

function renderBenchmark(v: BenchmarkView): HTMLElement {
  const chart = (id: string, svg: SVGElement) => {
    svg.setAttribute('width', '100%');
    return el('div', { class: 'chart', id }, svg);
  };
  const table = el(
    'table',
    { class: 'grid', id: 'bench-table' },
    el(
      'thead',
      {},
      el('tr', {}, ...['Concurrency', 'Requests', 'Throughput', 'p50', 'p95', 'Errors'].map((h) => el('th', {}, h))),
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
          el('td', {}, ms(l.p95Ms)),
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
  // Side by side when there is room (styles through the CSSOM: the CSP allows no inline style attributes).
  const charts = el(
    'div',
    { class: 'charts' },
    el('div', {}, el('h2', {}, 'Latency histogram'), chart('latency-histogram', histogramChart(v.histogram))),
    el('div', {}, el('h2', {}, 'Throughput vs concurrency'), chart('throughput-chart', throughputChart(v.levels))),
  );
  Object.assign(charts.style, {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(320px, 1fr))',
    gap: '8px 32px',
    maxWidth: '1200px',
  });
  return el(
    'section',
    {},
    el(
      'header',
      {},
      el('h1', {}, `Benchmark of ${v.service}`),
      el('p', { class: 'muted', id: 'bench-status' }, `image ${v.image} · ${v.done ? 'done' : 'running…'}`),
    ),
    charts,
    table,
    ...errors,
  );
}

function render(view: PanelView): void {
  const node =
    view.kind === 'score'
      ? renderScore(view)
      : view.kind === 'batch'
        ? renderBatch(view)
        : view.kind === 'model'
          ? renderModel(view)
          : renderBenchmark(view);
  app.replaceChildren(node);
  document.body.dataset.view = view.kind;
}

window.addEventListener('message', (event) => {
  const msg = parseHostMessage(event.data);
  if (msg) render(msg.view);
});
vscode.postMessage({ type: 'ready' });
