// accel.model.comparePrecisions: pick a photo folder (the sample photos when the extension has them, the open
// folder's photo folders, or any folder), run `accel model compare-precisions` in a CLI child under a cancellable
// progress, and show the Compare Precisions panel; its Convert at … buttons open the convert wizard with that
// precision chosen.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PrecisionComparison } from '../../core/precisionCache';
import type { Model } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import { ResultPanel } from '../panels/resultPanel';
import type { TreeNode } from '../trees/treeNode';
import { noBack } from '../ui';
import { withProgress, type CommandRunner } from './commandRunner';
import { compareArgs, precisionView, runComparison } from './comparePrecisionsRun';
import { pickModel } from './pickers';

const PHOTO = /\.(jpe?g|png|gif|webp|bmp)$/i;

/** Folders of the open workspace holding photos (each root and its direct subfolders; bounded), with their counts. */
export function workspacePhotoFolders(roots: string[], max = 8): Array<{ dir: string; photos: number }> {
  const out: Array<{ dir: string; photos: number }> = [];
  const count = (dir: string) => {
    try {
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .slice(0, 5000)
        .filter((e) => e.isFile() && PHOTO.test(e.name)).length;
    } catch {
      return 0;
    }
  };
  for (const root of roots) {
    let subdirs: string[] = [];
    try {
      subdirs = fs
        .readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
        .map((e) => path.join(root, e.name))
        .sort()
        .slice(0, 50);
    } catch {
      continue;
    }
    for (const dir of [root, ...subdirs]) {
      const photos = count(dir);
      if (photos > 0) out.push({ dir, photos });
      if (out.length >= max) return out;
    }
  }
  return out;
}

export interface CompareAnswers {
  /** Folder of photos to compare on. */
  images?: string;
}

export function registerComparePrecisions(run: CommandRunner, ctx: AccelContext): void {
  /** The model the panel shows (its Convert at … buttons act on it). */
  let shown: { ws: string; model: Model } | undefined;
  const listening = new WeakSet<ResultPanel>();

  run.register('accel.model.comparePrecisions', async (node?: TreeNode, preset?: CompareAnswers) => {
    const { ws, value: model } = await pickModel(ctx, node, 'Compare Precisions', (m) => !m.conversion);
    const samples = path.join(ctx.extension.extensionPath, 'media', 'samples');
    let images = preset?.images;
    if (!images) {
      const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
      const folders = workspacePhotoFolders(roots.map((f) => f.uri.fsPath));
      const choice = noBack(
        await ctx.ui.pick<string>({
          title: `Compare Precisions of ${model.id}: photos`,
          placeholder: 'Photos like the ones the model will score; each runs through fp32, msfp9 and msfp8',
          items: [
            ...(fs.existsSync(samples) ? [{ label: 'Sample photos', description: samples, value: samples }] : []),
            ...folders.map((f) => ({
              label: vscode.workspace.asRelativePath(f.dir, true) || path.basename(f.dir),
              description: `${f.photos} photo${f.photos === 1 ? '' : 's'}`,
              value: f.dir,
            })),
            { label: 'Choose a folder…', description: 'JPEG, PNG, GIF, WebP or BMP photos', value: '' },
          ],
        }),
      );
      images =
        choice ||
        (
          await ctx.ui.openDialog({
            canSelectFolders: true,
            canSelectFiles: false,
            title: `Photos to compare the precisions of ${model.id} on`,
          })
        )[0].fsPath;
    }
    const comparison = await withProgress<PrecisionComparison>(
      `Comparing fp32, msfp9 and msfp8 of ${model.id}`,
      (progress, cancel) =>
        runComparison({
          cli: path.join(ctx.extension.extensionPath, 'dist', 'cli.js'),
          home: ctx.home,
          args: compareArgs({ model: model.id, images: images!, workspace: ws }),
          progress,
          cancel,
          log: (line) => ctx.log.info(`compare-precisions: ${line}`),
        }),
    );
    ctx.log.info(
      `precisions of ${comparison.model} on ${comparison.images} photos: ${comparison.rows
        .map((r) => `${r.precision} top-1 ${r.top1Agreement} top-5 ${r.top5Agreement} mean|Δp| ${r.meanAbsProbDiff}`)
        .join('; ')}`,
    );
    shown = { ws, model };
    const panel = ResultPanel.show(ctx.extension.extensionUri, precisionView(comparison));
    if (!listening.has(panel)) {
      listening.add(panel);
      panel.onMessage((m) => {
        if (m.type !== 'convertAt' || !shown) return;
        const target: Partial<TreeNode> = { kind: 'modelVersion', ws: shown.ws, model: shown.model };
        void vscode.commands.executeCommand('accel.model.convert', target, { precision: m.precision });
      });
    }
    return comparison;
  });
}
