// Browser side of the result panels. Renders the view the host sends (typed in src/panels/protocol.ts)
// with plain DOM (text only, never HTML from data) and VS Code Elements web components; colours come from the
// theme's CSS variables (media/webview.css), so light, dark and high-contrast themes all work.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import {
  parseHostMessage,
  type BatchView,
  type ModelView,
  type PanelView,
  type WebviewMessage,
} from '../src/panels/protocol';
import { renderBatch as batchView } from './batchView';
import { renderBenchmark } from './benchmarkView';
import { el } from './dom';
import { renderPrecision } from './precisionView';
import { renderScore } from './scoreView';
import { renderTraining } from './trainingView';

declare function acquireVsCodeApi(): {
  postMessage(m: WebviewMessage): void;
  setState(s: unknown): void;
  getState(): unknown;
};
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

function button(label: string, message: WebviewMessage, appearance = 'primary'): HTMLElement {
  const b = el('vscode-button', { appearance });
  b.textContent = label;
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function renderBatch(v: BatchView): HTMLElement {
  const actions = el('div', { class: 'actions' });
  if (!v.done) actions.append(el('vscode-progress-ring', {}), button('Cancel', { type: 'cancel' }, 'secondary'));
  else actions.append(button('Export CSV…', { type: 'exportCsv' }));
  return batchView(v, (m) => vscode.postMessage(m), actions);
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

function render(view: PanelView): void {
  const node =
    view.kind === 'score'
      ? renderScore(view)
      : view.kind === 'batch'
        ? renderBatch(view)
        : view.kind === 'model'
          ? renderModel(view)
          : view.kind === 'training'
            ? renderTraining(view, (m) => vscode.postMessage(m))
            : view.kind === 'precision'
              ? renderPrecision(view, (m) => vscode.postMessage(m))
              : renderBenchmark(view, (m) => vscode.postMessage(m));
  app.replaceChildren(node);
  document.body.dataset.view = view.kind;
}

window.addEventListener('message', (event) => {
  const msg = parseHostMessage(event.data);
  if (msg) render(msg.view);
});
vscode.postMessage({ type: 'ready' });
