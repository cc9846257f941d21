// Browser side of the Batch Scores panel: a thumbnail grid of the scored photos (top-1 label and score, detection
// boxes for SSD models) or a sortable table, a low-confidence-first sort, and a click on a photo opens its Score
// Result (the host is told the row's index, never a path). Sorting is a pure function, unit-tested in Node.
import type { BatchTile, BatchView, WebviewMessage } from '../src/panels/protocol';
import { el, ms, pct } from './dom';

export type SortKey = 'arrival' | 'file' | 'label' | 'score' | 'latency' | 'confidence';

/** The sorts the panel offers; `confidence` is low-confidence first (failed photos before them: they need a look too). */
export const SORTS: ReadonlyArray<{ key: SortKey; label: string }> = [
  { key: 'arrival', label: 'Order scored' },
  { key: 'confidence', label: 'Low confidence first' },
  { key: 'score', label: 'Score (high first)' },
  { key: 'label', label: 'Label' },
  { key: 'file', label: 'File name' },
  { key: 'latency', label: 'Latency' },
];

/** Below this top-1 probability a tile is marked as low confidence. */
export const LOW_CONFIDENCE = 0.5;

const byText = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });

/**
 * The rows' indices in display order. Ties (and rows without the sorted value, which go last — except failed
 * rows under `confidence`, which go first) keep file-name order; `descending` reverses the sorted value only.
 */
export function sortRows(rows: readonly BatchTile[], key: SortKey, descending = false): number[] {
  const indices = rows.map((_, i) => i);
  if (key === 'arrival') return descending ? indices.reverse() : indices;
  const value = (r: BatchTile): number | string | undefined =>
    key === 'file'
      ? r.file
      : key === 'label'
        ? r.top1?.label
        : key === 'latency'
          ? r.latencyMs
          : key === 'confidence'
            ? (r.top1?.score ?? (r.error ? -1 : undefined))
            : r.top1?.score;
  // Score reads naturally high first; the others low first.
  const sign = (key === 'score' ? -1 : 1) * (descending ? -1 : 1);
  return indices.sort((i, j) => {
    const a = value(rows[i]);
    const b = value(rows[j]);
    if (a === undefined || b === undefined) {
      if (a !== b) return a === undefined ? 1 : -1;
    } else {
      const c = typeof a === 'number' && typeof b === 'number' ? a - b : byText(String(a), String(b));
      if (c !== 0) return sign * c;
    }
    return byText(rows[i].file, rows[j].file) || i - j;
  });
}

/** What the viewer chose; kept across the host's updates while a batch streams in. */
const state: { layout: 'grid' | 'table'; sort: SortKey; descending: boolean } = {
  layout: 'grid',
  sort: 'arrival',
  descending: false,
};

type Post = (m: WebviewMessage) => void;

/** Makes `e` open the row's Score Result on click, Enter or Space. */
function opens(e: HTMLElement, index: number, post: Post): HTMLElement {
  e.tabIndex = 0;
  e.setAttribute('role', 'button');
  e.addEventListener('click', () => post({ type: 'openResult', row: index }));
  e.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    ev.preventDefault();
    post({ type: 'openResult', row: index });
  });
  return e;
}

function tile(r: BatchTile, index: number, post: Post): HTMLElement {
  const low = !r.error && r.top1 !== undefined && r.top1.score < LOW_CONFIDENCE;
  const thumb = el('div', { class: 'thumb' });
  if (r.imageUri) {
    thumb.append(el('img', { src: r.imageUri, alt: r.file, loading: 'lazy' }));
    if (r.boxes?.length) {
      // Box coordinates are fractions of the photo; the frame is the image's own box (see .thumb in webview.css).
      const overlay = el('div', { class: 'boxes' });
      for (const b of r.boxes) {
        const box = el('div', { class: 'box', title: `${b.label} ${pct(b.score)}` });
        Object.assign(box.style, {
          left: pct(b.xmin),
          top: pct(b.ymin),
          width: pct(b.xmax - b.xmin),
          height: pct(b.ymax - b.ymin),
        });
        overlay.append(box);
      }
      thumb.append(overlay);
    }
  } else thumb.append(el('span', { class: 'muted' }, 'no preview'));
  const caption = r.error
    ? el('div', { class: 'caption error' }, `error: ${r.error}`)
    : el(
        'div',
        { class: 'caption' },
        el('span', { class: 'label' }, r.top1?.label ?? 'no result'),
        el('span', { class: 'score' }, r.top1 ? pct(r.top1.score) : ''),
      );
  const t = el(
    'figure',
    {
      class: `tile${r.error ? ' failed' : ''}${low ? ' low' : ''}`,
      'data-row': String(index),
      title: `${r.file}: open its Score Result`,
      'aria-label': `${r.file}: ${r.error ? 'failed' : `${r.top1?.label ?? 'no result'} ${r.top1 ? pct(r.top1.score) : ''}`}`,
    },
    thumb,
    caption,
    el('figcaption', { class: 'muted' }, r.file),
  );
  return opens(t, index, post);
}

/**
 * Tiles of the rows shown last, by content: the host resends every row as a batch streams in, and a tile moved
 * instead of rebuilt keeps its decoded thumbnail (no reload, no flicker). Holds only the latest render's tiles.
 */
let tiles = new Map<string, HTMLElement>();
let tilesInUse = new Map<string, HTMLElement>();

function cachedTile(r: BatchTile, index: number, post: Post): HTMLElement {
  const key = JSON.stringify([index, r.file, r.imageUri, r.top1, r.error, r.boxes?.length]);
  const t = tiles.get(key) ?? tile(r, index, post);
  tilesInUse.set(key, t);
  return t;
}

function table(v: BatchView, order: number[], post: Post, rerender: () => void): HTMLElement {
  const columns: Array<[string, SortKey]> = [
    ['File', 'file'],
    ['Top-1', 'label'],
    ['Score', 'score'],
    ['Latency', 'latency'],
  ];
  const head = el(
    'tr',
    {},
    ...columns.map(([title, key]) => {
      const active = state.sort === key;
      // Score sorts high first unless reversed; the others low first.
      const descending = (key === 'score') !== state.descending;
      const th = el('th', active ? { 'aria-sort': descending ? 'descending' : 'ascending' } : {});
      const arrow = active ? (descending ? ' ▾' : ' ▴') : '';
      const b = el('button', { class: 'sort', type: 'button', 'data-sort': key }, title, arrow);
      b.addEventListener('click', () => {
        state.descending = active ? !state.descending : false;
        state.sort = key;
        rerender();
      });
      th.append(b);
      return th;
    }),
  );
  return el(
    'table',
    { class: 'grid', id: 'batch-table' },
    el('thead', {}, head),
    el(
      'tbody',
      {},
      ...order.map((i) => {
        const r = v.rows[i];
        const low = !r.error && r.top1 !== undefined && r.top1.score < LOW_CONFIDENCE;
        return el(
          'tr',
          { class: r.error ? 'failed' : low ? 'low' : '', 'data-row': String(i) },
          el('td', {}, opens(el('a', { class: 'open' }, r.file), i, post)),
          el('td', {}, r.error ? `error: ${r.error}` : (r.top1?.label ?? '')),
          el('td', {}, r.top1 ? pct(r.top1.score) : ''),
          el('td', {}, ms(r.latencyMs)),
        );
      }),
    ),
  );
}

function toolbar(rerender: () => void): HTMLElement {
  const layout = el('div', { class: 'segmented', role: 'group', 'aria-label': 'Layout' });
  for (const [key, title] of [
    ['grid', 'Grid'],
    ['table', 'Table'],
  ] as const) {
    const b = el('button', { type: 'button', 'aria-pressed': String(state.layout === key), 'data-layout': key }, title);
    b.addEventListener('click', () => {
      state.layout = key;
      rerender();
    });
    layout.append(b);
  }
  const select = el('select', { id: 'batch-sort', 'aria-label': 'Sort by' });
  for (const s of SORTS) {
    const o = el('option', { value: s.key }, s.label);
    o.selected = s.key === state.sort;
    select.append(o);
  }
  select.addEventListener('change', () => {
    state.sort = select.value as SortKey;
    state.descending = false;
    rerender();
  });
  return el('div', { class: 'toolbar' }, layout, el('label', { for: 'batch-sort' }, 'Sort by'), select);
}

/** The Batch Scores panel; `actions` holds the host's buttons (Cancel while running, Export CSV… when done). */
export function renderBatch(v: BatchView, post: Post, actions: HTMLElement): HTMLElement {
  const section = el('section', { class: 'batch' });
  const render = () => {
    const ok = v.rows.filter((r) => !r.error).length;
    const low = v.rows.filter((r) => !r.error && r.top1 !== undefined && r.top1.score < LOW_CONFIDENCE).length;
    const order = sortRows(v.rows, state.sort, state.descending);
    const head = el(
      'header',
      {},
      el('h1', {}, `Scores of ${v.folder}`),
      el(
        'p',
        { class: 'muted', id: 'batch-status' },
        `${v.rows.length} image(s) · ${ok} scored · ${v.rows.length - ok} failed · ${low} below ${pct(LOW_CONFIDENCE)} · ${v.done ? (v.cancelled ? 'cancelled' : 'done') : 'running…'} · ${v.service}`,
      ),
    );
    const body =
      state.layout === 'grid'
        ? el('div', { class: 'tiles', id: 'batch-grid' }, ...order.map((i) => cachedTile(v.rows[i], i, post)))
        : table(v, order, post, render);
    section.replaceChildren(head, actions, toolbar(render), body);
    if (state.layout === 'grid') [tiles, tilesInUse] = [tilesInUse, new Map()];
  };
  render();
  return section;
}
