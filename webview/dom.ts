// Small DOM helpers the panel views share: elements built from text (never HTML from data), number formats, a
// score bar. Widths go through the CSSOM (element.style), which the strict CSP allows; style attributes it does not.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string>,
  ...children: Array<Node | string | undefined>
): HTMLElementTagNameMap[K];
export function el(
  tag: string,
  attrs?: Record<string, string>,
  ...children: Array<Node | string | undefined>
): HTMLElement;
export function el(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string | undefined>
): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

export const ms = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(v < 10 ? 2 : 1)} ms`);
export const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function bar(fraction: number, cls = ''): HTMLElement {
  const b = el('div', { class: `bar ${cls}` });
  const fill = el('div', { class: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  b.append(fill);
  return b;
}
