// accel.image.create / showBuildLog / export / delete.
import * as vscode from 'vscode';
import { createImage, deleteImage, exportImage, readImageLog } from '../../core/images';
import { isValidName } from '../../core/names';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { noBack } from '../ui';
import { withProgress, type CommandRunner } from './commandRunner';
import { pickImage, pickModel } from './pickers';

export function defaultImageName(modelName: string): string {
  const base = modelName.replace(/\.accelonnx$/, '').replace(/[^a-z0-9._-]/g, '-').slice(0, 56);
  return `${base}-image`;
}

export function registerImageCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.image.create', async (node?: TreeNode, options?: { name?: string }) => {
    const { ws, value: model } = await pickModel(ctx, node, 'Create Image: model', (m) => m.framework === 'onnx');
    const name = options?.name ?? noBack(await ctx.ui.input({
      title: `Create Image from ${model.id}`,
      prompt: 'Image name',
      value: defaultImageName(model.name),
      validate: (v) => (isValidName('image', v) ? undefined : 'Use 1-63 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit.'),
    }));
    const image = await trees.images.whileCreating(name, () =>
      withProgress(`Creating image ${name} from ${model.id}`, async (p) => {
        p.report({ message: 'verifying the model and writing the runtime manifest' });
        return createImage(ctx.store, ws, name, model.id);
      }, false));
    ctx.log.info(`image ${image.id} created from ${model.id}`);
    ctx.fireSoon();
    return image;
  });

  run.register('accel.image.showBuildLog', async (node?: TreeNode) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Show Build Log');
    const text = await readImageLog(ctx.store, ws, image.id);
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'log' });
    await vscode.window.showTextDocument(doc, { preview: true });
    return text;
  });

  run.register('accel.image.export', async (node?: TreeNode, target?: string) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Export Build Context');
    const dir = target ?? (await ctx.ui.openDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Here', title: `Export build context of ${image.id}` }))[0].fsPath;
    const result = await withProgress(`Exporting ${image.id}`, () => exportImage(ctx.store, ws, image.id, dir), false);
    ctx.log.info(`image ${image.id} exported to ${dir}`);
    void vscode.window.showInformationMessage(`Exported the build context of ${image.id} to ${dir}.`);
    return result;
  });

  run.register('accel.image.delete', async (node?: TreeNode, options?: { confirmed?: boolean }) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Delete Image');
    if (!options?.confirmed && !(await ctx.ui.confirm(`Delete image ${image.id}?`, 'Services using it must be deleted first.', 'Delete'))) return undefined;
    await trees.images.whileBusy(node, 'deleting…', () => deleteImage(ctx.store, ws, image.id));
    ctx.log.info(`image ${image.id} deleted`);
    ctx.fireSoon();
    return image.id;
  });
}
