// One webview panel per kind of result (Score Result, Batch Scores, Model Details, Benchmark), reused and
// revealed when shown again. Strict CSP with a per-load nonce; local resources limited to the extension's
// dist/ and media/ and, for a score, the folder of the scored file.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseWebviewMessage, type PanelView, type WebviewMessage } from '../../panels/protocol';

const TITLES: Record<PanelView['kind'], string> = {
  score: 'Score Result',
  batch: 'Batch Scores',
  model: 'Model Details',
  benchmark: 'Benchmark',
  training: 'Training Result',
  precision: 'Compare Precisions',
};

export class ResultPanel {
  private static readonly open = new Map<PanelView['kind'], ResultPanel>();
  private view?: PanelView;
  private ready = false;
  private readonly listeners = new Set<(m: WebviewMessage) => void>();
  /** The last view the webview acknowledged rendering (for tests and the e2e suite). */
  lastShown?: PanelView;
  private posted = 0;
  private shownSeq = 0;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
  ) {
    panel.onDidDispose(() => {
      for (const [k, p] of ResultPanel.open) if (p === this) ResultPanel.open.delete(k);
    });
    panel.webview.onDidReceiveMessage((raw) => this.receive(raw));
  }

  /** Handles a message from the webview (public so the extension-host tests can click as the webview would). */
  receive(raw: unknown): void {
    const msg = parseWebviewMessage(raw);
    if (!msg) return;
    if (msg.type === 'ready') {
      this.ready = true;
      this.post();
    }
    for (const l of this.listeners) l(msg);
  }

  static get(kind: PanelView['kind']): ResultPanel | undefined {
    return ResultPanel.open.get(kind);
  }

  /** Shows `view` in the panel of its kind, creating it when needed. `extraRoot`: folder(s) the webview may load from. */
  static show(extensionUri: vscode.Uri, view: PanelView, extraRoot?: string | string[]): ResultPanel {
    const roots = [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
    for (const r of typeof extraRoot === 'string' ? [extraRoot] : (extraRoot ?? [])) roots.push(vscode.Uri.file(r));
    let p = ResultPanel.open.get(view.kind);
    if (!p) {
      const panel = vscode.window.createWebviewPanel(
        `accel.${view.kind}`,
        TITLES[view.kind],
        { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
        {
          enableScripts: true,
          retainContextWhenHidden: true,
          localResourceRoots: roots,
        },
      );
      panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'accel.svg');
      p = new ResultPanel(panel, extensionUri);
      ResultPanel.open.set(view.kind, p);
      panel.webview.html = p.html();
    } else {
      p.panel.webview.options = { ...p.panel.webview.options, localResourceRoots: roots };
      p.panel.reveal(undefined, false);
    }
    p.panel.title =
      view.kind === 'score'
        ? `Score: ${view.fileName}`
        : view.kind === 'model'
          ? `Model ${view.id}`
          : view.kind === 'precision'
            ? `Precisions: ${view.model}`
            : TITLES[view.kind];
    p.update(view);
    return p;
  }

  get webview(): vscode.Webview {
    return this.panel.webview;
  }

  update(view: PanelView): void {
    this.view = view;
    this.post();
  }

  onMessage(listener: (m: WebviewMessage) => void): vscode.Disposable {
    this.listeners.add(listener);
    return new vscode.Disposable(() => this.listeners.delete(listener));
  }

  private post(): void {
    if (!this.ready || !this.view) return;
    const view = this.view;
    const seq = ++this.posted;
    // Acknowledgements may arrive out of order: an older view never replaces a newer one as "last shown".
    void this.panel.webview.postMessage({ type: 'show', view }).then((ok) => {
      if (!ok || seq < this.shownSeq) return;
      this.shownSeq = seq;
      this.lastShown = view;
    });
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = crypto.randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'webview.css'));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>Accelerated Models</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}

/** Folder the webview may read a scored file from. */
export function rootOf(file: string): string {
  return path.dirname(file);
}
