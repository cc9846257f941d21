// accel.image.create / build / showBuildLog / export / delete.
import * as vscode from 'vscode';
import { buildImage, readBuildLog } from '../../container/imageBuild';
import { createImage, deleteImage, readImageLog } from '../../core/images';
import { exportImage } from '../../container/exportImage';
import { isValidName } from '../../domain/names';
import type { Model } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { BACK, runWizard } from '../wizard';
import { withProgress, type CommandRunner } from './commandRunner';
import { modelItems, modelsFor, pickImage } from './pickers';

const IMAGE_RULE = 'Use 1-63 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit.';

interface CreateImageAnswers {
  model?: Model;
  name?: string;
}

export function defaultImageName(modelName: string): string {
  const base = modelName
    .replace(/\.accelonnx$/, '')
    .replace(/[^a-z0-9._-]/g, '-')
    .slice(0, 56);
  return `${base}-image`;
}

export function registerImageCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.image.create', async (node?: TreeNode, options?: { name?: string }) => {
    const given = node?.model && node.ws ? { ws: node.ws, value: node.model } : undefined;
    const { ws, value: models } = given
      ? { ws: given.ws, value: [given.value] }
      : await modelsFor(ctx, (m) => m.framework === 'onnx');
    const a = await runWizard<CreateImageAnswers>({ model: given?.value, name: options?.name }, [
      {
        id: 'model',
        shouldPrompt: () => !given,
        prompt: async (s, p) => {
          const r = await ctx.ui.pick({
            title: 'Create Image: model',
            ...p,
            placeholder: 'Model',
            items: modelItems(models, s.model?.id),
          });
          if (r === BACK) return BACK;
          s.model = r;
        },
      },
      {
        id: 'name',
        shouldPrompt: () => !options?.name,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title: `Create Image from ${s.model!.id}`,
            ...p,
            prompt: 'Image name',
            value: s.name ?? defaultImageName(s.model!.name),
            validate: (v) => (isValidName('image', v) ? undefined : IMAGE_RULE),
          });
          if (r === BACK) return BACK;
          s.name = r;
        },
      },
    ]);
    const model = a.model!;
    const name = a.name!;
    const image = await trees.images.whileCreating(name, () =>
      withProgress(
        `Creating image ${name} from ${model.id}`,
        async (p) => {
          p.report({ message: 'verifying the model and writing the runtime manifest' });
          return createImage(ctx.store, ws, name, model.id);
        },
        false,
      ),
    );
    ctx.log.info(`image ${image.id} created from ${model.id}`);
    ctx.fireSoon();
    return image;
  });

  run.register('accel.image.showBuildLog', async (node?: TreeNode) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Show Build Log');
    // The image's own log, then the container engine's log of its last `accel image build`, if any.
    const text =
      (await readImageLog(ctx.store, ws, image.id)) +
      (image.build
        ? `\n--- container build (${image.build.engine}, ${image.build.state}) ---\n${await readBuildLog(ctx.store, ws, image.id)}`
        : '');
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'log' });
    await vscode.window.showTextDocument(doc, { preview: true });
    return text;
  });

  run.register('accel.image.build', async (node?: TreeNode) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Build Container Image');
    const built = await withProgress(
      `Building container image of ${image.id}`,
      (progress) =>
        buildImage(ctx.store, ws, image.id, {
          onLine: (line) => {
            ctx.log.info(`build ${image.id}: ${line}`);
            if (/^STEP \d+\/\d+/.test(line)) progress.report({ message: line.slice(0, 80) });
          },
        }),
      false,
    );
    const location = built.image.build?.location;
    ctx.log.info(`image ${image.id} built as ${location}`);
    void vscode.window.showInformationMessage(
      `Built ${image.id} as ${location} (${(built.durationMs / 1000).toFixed(1)} s).`,
    );
    return location;
  });

  run.register('accel.image.export', async (node?: TreeNode, target?: string) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Export Build Context');
    const dir =
      target ??
      (
        await ctx.ui.openDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          openLabel: 'Export Here',
          title: `Export build context of ${image.id}`,
        })
      )[0].fsPath;
    const result = await withProgress(`Exporting ${image.id}`, () => exportImage(ctx.store, ws, image.id, dir), false);
    ctx.log.info(`image ${image.id} exported to ${dir}`);
    void vscode.window.showInformationMessage(`Exported the build context of ${image.id} to ${dir}.`);
    return result;
  });

  run.register('accel.image.delete', async (node?: TreeNode, options?: { confirmed?: boolean }) => {
    const { ws, value: image } = await pickImage(ctx, node, 'Delete Image');
    if (
      !options?.confirmed &&
      !(await ctx.ui.confirm(`Delete image ${image.id}?`, 'Services using it must be deleted first.', 'Delete'))
    )
      return undefined;
    return removeImage(ctx, trees, ws, image.id, node);
  });
}

/** The single image delete (also each image step of Delete with Dependents). */
export async function removeImage(
  ctx: AccelContext,
  trees: Trees,
  ws: string,
  id: string,
  node?: TreeNode,
): Promise<string> {
  await trees.images.whileBusy(node, 'deleting…', () => deleteImage(ctx.store, ws, id));
  ctx.log.info(`image ${id} deleted`);
  ctx.fireSoon();
  return id;
}
