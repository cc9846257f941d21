// Right-click scoring: accel.score.image (explorer, multi-select), accel.score.folder (every image in a folder,
// with progress, cancel, a thumbnail grid / sortable table whose tiles open their Score Result, and CSV export),
// accel.service.score (a service node → pick files).
// The service is remembered per workspace; when none runs, the user is offered the sample deployment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { setContextKey } from '../contextKeys';
import { AccelError } from '../../domain/errors';
import { serviceAddress } from '../trees/servicesTree';
import type { Service } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import { batchCsv, type BatchView, type ScoreView } from '../../panels/protocol';
import { ResultPanel } from '../panels/resultPanel';
import type { ServiceScorer } from '../../scoring/serviceScorer';
import type { TreeNode } from '../trees/treeNode';
import { noBack, UserCancelled } from '../ui';
import { withProgress, type CommandRunner } from './commandRunner';

export const IMAGE_FILE = /\.(jpe?g|png|gif|webp|bmp)$/i;
/** Formats a webview can display (BMP is scored but not previewed by every browser engine; it still is in Chromium). */
const PREVIEWABLE = /\.(jpe?g|png|gif|webp|bmp)$/i;

export function imagesIn(folder: string): string[] {
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile() && IMAGE_FILE.test(e.name))
    .map((e) => path.join(folder, e.name))
    .sort();
}

export function registerScoreCommands(run: CommandRunner, ctx: AccelContext): void {
  /** The service to score with: the node's, the remembered one, the only one, or a pick; offers the sample when none exists. */
  async function chooseService(node?: TreeNode): Promise<{ ws: string; service: Service }> {
    if (node?.service && node.ws) return { ws: node.ws, service: node.service };
    const ws = await ctx.requireWorkspace();
    let services = (await ctx.store.read(ws)).services;
    if (!services.length) {
      const deploy = await ctx.ui.confirm(
        'No service is deployed in this workspace.',
        'Deploy the sample image classifier (MobileNetV2) to the local emulator and score with it?',
        'Deploy Sample',
      );
      if (!deploy) throw new UserCancelled();
      await vscode.commands.executeCommand('accel.sample.deploy');
      services = (await ctx.store.read(ws)).services;
      if (!services.length) throw new AccelError('Unavailable', 'The sample deployment did not complete; see the log.');
    }
    const last = ctx.extension.workspaceState.get<string>('accel.lastService');
    const remembered = services.find((s) => `${ws}/${s.name}` === last);
    const service =
      remembered ??
      (services.length === 1
        ? services[0]
        : noBack(
            await ctx.ui.pick({
              title: 'Score with which service?',
              items: services.map((s) => ({
                label: s.name,
                description: serviceAddress(s),
                detail: `image ${s.imageId}`,
                value: s,
              })),
            }),
          ));
    await ctx.extension.workspaceState.update('accel.lastService', `${ws}/${service.name}`);
    return { ws, service };
  }

  /** The walkthrough's last step is done (scoring through the CLI ticks it from the emulator's request counts). */
  function markScored(): void {
    void setContextKey('accel.hasScored', true);
  }

  /** The service's warm scorer (one channel per service, kept across right-clicks), once the service can answer. */
  async function open(ws: string, service: Service): Promise<ServiceScorer> {
    await ctx.readyToScore(ws, service);
    return ctx.scorers.get(ws, service);
  }

  async function scoreFiles(files: string[], node?: TreeNode): Promise<ScoreView | BatchView> {
    if (!files.length)
      throw new AccelError('InvalidArgument', 'Nothing to score: choose .jpg, .jpeg, .png, .gif, .webp or .bmp files.');
    const { ws, service } = await chooseService(node);
    if (files.length > 1) return scoreBatch(files, path.dirname(files[0]), ws, service);
    const file = files[0];
    const k = vscode.workspace.getConfiguration('accel').get<number>('score.topK') ?? 5;
    const { scorer, r } = await withProgress(
      `Scoring ${path.basename(file)} with ${service.name}`,
      async (p) => {
        p.report({ message: 'connecting' });
        const s = await open(ws, service);
        p.report({ message: 'scoring' });
        return { scorer: s, r: await s.scoreFile(file, k) };
      },
      false,
    );
    const panelRoot = path.dirname(file);
    const panel = ResultPanel.show(
      ctx.extension.extensionUri,
      {
        kind: 'score',
        fileName: path.basename(file),
        imageUri: '',
        service: service.name,
        scoringUri: scorer.uri,
        modelId: scorer.model.id,
        top: r.top,
        latency: r.latency,
        boxes: r.boxes,
      },
      panelRoot,
    );
    const view: ScoreView = {
      kind: 'score',
      fileName: path.basename(file),
      imageUri: PREVIEWABLE.test(file) ? panel.webview.asWebviewUri(vscode.Uri.file(file)).toString() : '',
      service: service.name,
      scoringUri: scorer.uri,
      modelId: scorer.model.id,
      top: r.top,
      latency: r.latency,
      boxes: r.boxes,
    };
    panel.update(view);
    ctx.log.info(
      `scored ${file} with ${service.name}: ${r.top[0]?.label} (${(r.top[0]?.score * 100).toFixed(1)}%), ${r.latency.clientMs.toFixed(1)} ms`,
    );
    markScored();
    return view;
  }

  /** The message listener of the batch the Batch Scores panel shows (the panel is reused by the next batch). */
  let batchListener: vscode.Disposable | undefined;

  async function scoreBatch(files: string[], folder: string, ws: string, service: Service): Promise<BatchView> {
    const view: BatchView = { kind: 'batch', folder, service: service.name, rows: [], done: false, cancelled: false };
    const scorer = await open(ws, service);
    // The grid shows each photo: the webview may load from every folder the files come from.
    const panel = ResultPanel.show(ctx.extension.extensionUri, view, [...new Set(files.map((f) => path.dirname(f)))]);
    /** Full path of each row, in row order: the webview names a row by its index, never by a path. */
    const paths: string[] = [];
    let lastUpdate = 0;
    let cancelledFromPanel = false;
    batchListener?.dispose();
    batchListener = panel.onMessage(async (m) => {
      if (m.type === 'cancel') cancelledFromPanel = true;
      if (m.type === 'exportCsv') await exportCsv(view);
      if (m.type === 'openResult' && paths[m.row]) {
        const node = { kind: 'service', ws, service, item: new vscode.TreeItem(service.name) } satisfies TreeNode;
        await vscode.commands.executeCommand('accel.service.score', node, [paths[m.row]]);
      }
    });
    try {
      await withProgress(`Scoring ${files.length} images with ${service.name}`, async (progress, cancel) => {
        const concurrency = vscode.workspace.getConfiguration('accel').get<number>('score.batchConcurrency') ?? 4;
        await scorer.scoreMany(
          files,
          concurrency,
          () => cancel.isCancellationRequested || cancelledFromPanel,
          (row, done, index) => {
            const file = files[index];
            paths.push(file);
            const imageUri = PREVIEWABLE.test(file) ? panel.webview.asWebviewUri(vscode.Uri.file(file)).toString() : '';
            view.rows.push({ ...row, imageUri });
            progress.report({ message: `${done}/${files.length} ${row.file}`, fraction: done / files.length });
            // At most ~10 panel updates a second (the webview redraws the whole grid); the final one always goes.
            if (Date.now() - lastUpdate < 100) return;
            lastUpdate = Date.now();
            panel.update({ ...view, rows: [...view.rows] });
          },
        );
        view.cancelled = cancel.isCancellationRequested || cancelledFromPanel;
      });
    } finally {
      view.done = true;
      panel.update({ ...view, rows: [...view.rows] });
    }
    ctx.log.info(
      `scored ${view.rows.length}/${files.length} images in ${folder}${view.cancelled ? ' (cancelled)' : ''}`,
    );
    if (view.rows.some((r) => r.top1)) markScored();
    return view;
  }

  async function exportCsv(view: BatchView, target?: vscode.Uri): Promise<string> {
    const uri =
      target ??
      (await ctx.ui.saveDialog({
        title: 'Export scores as CSV',
        defaultUri: vscode.Uri.file(path.join(view.folder, 'scores.csv')),
        filters: { CSV: ['csv'] },
      }));
    fs.writeFileSync(uri.fsPath, batchCsv(view.rows));
    void vscode.window.showInformationMessage(`Saved ${view.rows.length} scores to ${uri.fsPath}.`);
    return uri.fsPath;
  }

  run.register('accel.score.image', async (uri?: vscode.Uri, uris?: vscode.Uri[]) => {
    const chosen = uris?.length
      ? uris
      : uri
        ? [uri]
        : await ctx.ui.openDialog({
            canSelectMany: true,
            title: 'Score images',
            filters: { Images: ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp'] },
          });
    const files = chosen.map((u) => u.fsPath);
    const folders = files.filter((f) => fs.statSync(f).isDirectory());
    const all = [...files.filter((f) => !folders.includes(f) && IMAGE_FILE.test(f)), ...folders.flatMap(imagesIn)];
    return scoreFiles(all);
  });

  run.register('accel.score.folder', async (uri?: vscode.Uri) => {
    const folder =
      uri?.fsPath ??
      (
        await ctx.ui.openDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          title: 'Score every image in a folder',
        })
      )[0].fsPath;
    const files = imagesIn(folder);
    if (!files.length)
      throw new AccelError(
        'InvalidArgument',
        `${folder} has no .jpg, .jpeg, .png, .gif, .webp or .bmp files. Choose a folder of photos.`,
      );
    const { ws, service } = await chooseService();
    return scoreBatch(files, folder, ws, service);
  });

  run.register('accel.service.score', async (node?: TreeNode, files?: string[]) => {
    const chosen =
      files ??
      (
        await ctx.ui.openDialog({
          canSelectMany: true,
          title: 'Score images',
          filters: { Images: ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp'] },
        })
      ).map((u) => u.fsPath);
    return scoreFiles(chosen, node);
  });

  run.register('accel.score.exportCsv', async (target?: string) => {
    const view = ResultPanel.get('batch')?.lastShown;
    if (!view || view.kind !== 'batch')
      throw new AccelError('NotFound', 'There are no batch scores to export. Score a folder first.');
    return exportCsv(view, target ? vscode.Uri.file(target) : undefined);
  });
}
