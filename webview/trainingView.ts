// Browser side of the Training Result panel: hold-out accuracy, per-class precision/recall, the confusion matrix
// as a heat map, the loss curve (SVG), the photos it got wrong as thumbnails, and the Create Image and Deploy /
// Score a Photo buttons. Text only (never HTML from data); colours are the theme's CSS variables set through
// element.style, which the strict CSP allows.
import type { TrainingView, WebviewMessage } from '../src/panels/protocol';
import { niceTicks } from './charts';
import { el } from './dom';

type Post = (m: WebviewMessage) => void;

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);

/** Heat of a confusion cell: its share of the true class's photos, 0..1 (0 for an empty row). */
export function heatShare(count: number, rowTotal: number): number {
  return rowTotal > 0 ? Math.max(0, Math.min(1, count / rowTotal)) : 0;
}

/** The loss curve's polyline points in a `w`×`h` plot (x: iteration, y: loss from 0 to `top`). */
export function curvePoints(loss: number[], w: number, hgt: number, top: number): string {
  if (!loss.length || !(top > 0)) return '';
  const step = loss.length > 1 ? w / (loss.length - 1) : 0;
  return loss.map((v, i) => `${(i * step).toFixed(1)},${(hgt - (Math.min(v, top) / top) * hgt).toFixed(1)}`).join(' ');
}

function confusionTable(v: TrainingView): HTMLElement {
  const table = el('table', { class: 'grid', id: 'confusion' });
  const head = el('tr', {}, el('th', {}, 'true \\ predicted'), ...v.labels.map((l) => el('th', {}, l)));
  const body = el('tbody');
  v.confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const tr = el('tr', {}, el('th', {}, v.labels[i]));
    row.forEach((count, j) => {
      const td = el('td', { title: `${count} photo(s) of ${v.labels[i]} predicted as ${v.labels[j]}` }, String(count));
      const share = heatShare(count, total);
      const colour = i === j ? 'var(--vscode-charts-green)' : 'var(--vscode-charts-red)';
      Object.assign(td.style, {
        textAlign: 'center',
        minWidth: '3em',
        background: `color-mix(in srgb, ${colour} ${Math.round(share * 80)}%, transparent)`,
        fontWeight: share >= 0.5 ? 'bold' : 'normal',
      });
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(el('thead', {}, head), body);
  return table;
}

function lossChart(v: TrainingView): SVGElement {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 560;
  const H = 200;
  const M = { left: 48, right: 12, top: 12, bottom: 34 };
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const s = (
    tag: string,
    attrs: Record<string, string | number>,
    style: Record<string, string> = {},
    text?: string,
  ) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, val] of Object.entries(attrs)) e.setAttribute(k, String(val));
    Object.assign(e.style, style);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const ticks = niceTicks(Math.max(1e-6, ...v.lossCurve));
  const top = ticks[ticks.length - 1] || 1;
  const last = v.lossCurve[v.lossCurve.length - 1];
  const label = `Training loss over ${v.iterations} iterations${last !== undefined ? `, final ${last.toFixed(4)}` : ''}`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, width: '100%' }) as SVGElement;
  svg.append(s('title', {}, {}, label));
  const muted = { fill: 'var(--vscode-descriptionForeground)', fontSize: '11px' };
  for (const t of ticks) {
    const y = M.top + ph - (t / top) * ph;
    svg.append(
      s('line', { x1: M.left, x2: M.left + pw, y1: y, y2: y }, { stroke: 'var(--vscode-foreground)', opacity: '0.25' }),
      s('text', { x: M.left - 6, y: y + 4, 'text-anchor': 'end' }, muted, t.toFixed(t < 1 ? 2 : 1)),
    );
  }
  const g = s('g', { transform: `translate(${M.left} ${M.top})` });
  g.append(
    s(
      'polyline',
      { points: curvePoints(v.lossCurve, pw, ph, top), id: 'loss-line' },
      { fill: 'none', stroke: 'var(--vscode-charts-blue)', strokeWidth: '2' },
    ),
  );
  svg.append(
    g,
    s('text', { x: M.left + pw / 2, y: H - 6, 'text-anchor': 'middle' }, muted, 'iteration'),
    s('text', { x: M.left, y: M.top + ph + 14, 'text-anchor': 'start' }, muted, '1'),
    s('text', { x: M.left + pw, y: M.top + ph + 14, 'text-anchor': 'end' }, muted, String(v.iterations)),
  );
  return svg;
}

function thumbnails(v: TrainingView, post: Post): HTMLElement {
  const grid = el('div', { id: 'misclassified' });
  Object.assign(grid.style, { display: 'flex', flexWrap: 'wrap', gap: '12px' });
  for (const m of v.misclassified) {
    const img = el('img', { src: m.imageUri, alt: m.name });
    Object.assign(img.style, { width: '128px', height: '128px', objectFit: 'cover', cursor: 'pointer' });
    img.addEventListener('click', () => post({ type: 'openFile', file: m.file }));
    const caption = el(
      'figcaption',
      { class: 'muted' },
      `${m.name}: ${m.label}, predicted ${m.predicted} (${pct(m.probability)})`,
    );
    Object.assign(caption.style, { width: '128px', fontSize: '11px', overflowWrap: 'anywhere' });
    grid.append(el('figure', { class: 'thumb' }, img, caption));
  }
  return grid;
}

function button(label: string, message: WebviewMessage, post: Post, appearance = 'primary'): HTMLElement {
  const b = el('vscode-button', { appearance });
  b.textContent = label;
  b.addEventListener('click', () => post(message));
  return b;
}

export function renderTraining(v: TrainingView, post: Post): HTMLElement {
  const headline =
    v.accuracy.holdout === null
      ? `training accuracy ${pct(v.accuracy.train)} (no hold-out)`
      : `hold-out accuracy ${pct(v.accuracy.holdout)}`;
  const actions = el('div', { class: 'actions' });
  if (!v.service) actions.append(button('Create Image and Deploy', { type: 'deployClassifier' }, post));
  actions.append(button('Score a Photo…', { type: 'scorePhoto' }, post, v.service ? 'primary' : 'secondary'));
  const facts: Array<[string, string]> = [
    ['Classes', v.labels.join(', ')],
    ['Accuracy', `train ${pct(v.accuracy.train)} · hold-out ${pct(v.accuracy.holdout)}`],
    [
      'Photos',
      `${v.photos.total} (${v.photos.train} train, ${v.photos.holdout} hold-out)${v.photos.skipped ? `, ${v.photos.skipped} skipped` : ''}`,
    ],
    ['Featurizer', `${v.featurizer.model} at ${v.featurizer.featureTensor} (${v.featurizer.dim} features)`],
    ['Featurizing', `${v.imagesPerSecond.toFixed(1)} photos/s`],
    ['Head', `${v.iterations} iterations${v.converged ? ', converged' : ''}, ${v.trainMs.toFixed(0)} ms`],
    ['Data', v.dataDir],
  ];
  if (v.service) facts.push(['Service', v.service]);
  const perClass = el(
    'table',
    { class: 'grid', id: 'per-class' },
    el('thead', {}, el('tr', {}, ...['Class', 'Precision', 'Recall', 'Photos'].map((t) => el('th', {}, t)))),
    el(
      'tbody',
      {},
      ...v.perClass.map((c) =>
        el(
          'tr',
          {},
          el('td', {}, c.label),
          el('td', {}, pct(c.precision)),
          el('td', {}, pct(c.recall)),
          el('td', {}, String(c.support)),
        ),
      ),
    ),
  );
  const on = v.evaluatedOn === 'holdout' ? 'hold-out photos' : 'training photos (no hold-out)';
  const wrong = v.misclassifiedTotal
    ? [
        el(
          'p',
          { class: 'muted' },
          v.misclassifiedTotal > v.misclassified.length
            ? `${v.misclassifiedTotal} wrong; the first ${v.misclassified.length} shown. Click one to open it.`
            : `${v.misclassifiedTotal} wrong. Click one to open it.`,
        ),
        thumbnails(v, post),
      ]
    : [
        el(
          'p',
          { class: 'muted', id: 'misclassified' },
          `None: every ${on.replace(/ \(.*/, '')} photo was classified right.`,
        ),
      ];
  const chart = el('div', { class: 'chart', id: 'loss-curve' }, lossChart(v));
  chart.style.maxWidth = '640px';
  return el(
    'section',
    { class: 'training' },
    el(
      'header',
      {},
      el('h1', { id: 'training-accuracy' }, `${v.modelId}: ${headline}`),
      el('p', { class: 'muted' }, `workspace ${v.workspace} · ${v.labels.length} classes`),
    ),
    actions,
    el('table', { class: 'facts' }, ...facts.map(([k, val]) => el('tr', {}, el('th', {}, k), el('td', {}, val)))),
    el('h2', {}, `Per class (${on})`),
    perClass,
    el('h2', {}, 'Confusion matrix (rows: true class, columns: predicted)'),
    confusionTable(v),
    el('h2', {}, 'Loss curve'),
    chart,
    el('h2', {}, `Photos it got wrong (${on})`),
    ...wrong,
  );
}
