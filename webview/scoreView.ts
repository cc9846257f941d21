// The Score Result panel: the photo (with SSD boxes), the top-k classes as bars, and the latency of the request as
// one stacked bar with a legend: connect + transport (client total − server time) and the server's queue,
// preprocess and inference, each segment in the colour of its legend swatch (theme variables, set via the CSSOM).
import type { ScoreView } from '../src/panels/protocol';
import { LATENCY_PARTS, legend, stackSegments } from './charts';
import { bar, el, ms, pct } from './dom';

function figureOf(v: ScoreView): HTMLElement {
  const figure = el('div', { class: 'figure' });
  if (!v.imageUri) {
    figure.append(el('p', { class: 'muted' }, `${v.fileName} (this format cannot be previewed)`));
    return figure;
  }
  figure.append(el('img', { src: v.imageUri, alt: v.fileName, id: 'scored-image' }));
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
  return figure;
}

/** The latency bar, its legend (swatch, label, ms per part) and the client total. */
export function latencyOf(l: ScoreView['latency']): HTMLElement[] {
  const total = Math.max(l.clientMs, 1e-6);
  const stack = el('div', { class: 'stack', id: 'latency-bar', role: 'img', 'aria-label': 'latency breakdown' });
  for (const s of stackSegments(l)) {
    const seg = el('div', { class: 'seg', 'data-part': s.key, title: `${s.label}: ${ms(s.to - s.from)}` });
    Object.assign(seg.style, { width: `${((s.to - s.from) / total) * 100}%`, background: s.color });
    stack.append(seg);
  }
  const key = legend(LATENCY_PARTS.map((p) => ({ label: p.label, color: p.color, value: ms(l[p.key]) })));
  key.id = 'latency-legend';
  const server = (l.queueMs ?? 0) + (l.preprocessMs ?? 0) + (l.inferenceMs ?? 0);
  const totals = el(
    'table',
    { class: 'latency' },
    el('tr', {}, el('th', {}, 'client total'), el('td', {}, ms(l.clientMs))),
    el('tr', {}, el('th', {}, 'server total (queue + preprocess + inference)'), el('td', {}, ms(server))),
    el('tr', {}, el('th', {}, 'connect + transport (client total − server)'), el('td', {}, ms(l.networkMs))),
  );
  return [stack, key, totals];
}

export function renderScore(v: ScoreView): HTMLElement {
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
      figureOf(v),
      el('div', {}, el('h2', {}, `Top ${v.top.length}`), list, el('h2', {}, 'Latency'), ...latencyOf(v.latency)),
    ),
  );
}
