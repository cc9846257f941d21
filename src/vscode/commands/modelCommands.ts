// accel.model.register / addFromCatalog / showDetails / copyId / delete (convert lives in convertCommand.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { catalogEntry, CATALOG } from '../../catalog/catalog';
import { addCatalogModel } from '../../core/catalogModels';
import { labelSetText } from '../../catalog/labels';
import type { AccuracyReport } from '../../convert/accuracy';
import type { ConversionReport } from '../../core/conversions';
import { readReport } from './convertUseCase';
import { isValidName } from '../../domain/names';
import { deleteModel, MODEL_EXTENSIONS, registerModel } from '../../core/models';
import type { Model } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import { ResultPanel } from '../panels/resultPanel';
import type { ModelView } from '../../panels/protocol';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { noBack } from '../ui';
import { BACK, runWizard } from '../wizard';
import { withProgress, type CommandRunner } from './commandRunner';
import { pickModel } from './pickers';

export interface RegisterArgs {
  name?: string;
  description?: string;
  tags?: Record<string, string>;
}

const MODEL_RULE = 'Use 1-128 lowercase letters, digits, ".", "-" or "_", starting with a letter or digit.';

interface RegisterAnswers {
  file?: vscode.Uri;
  name?: string;
}

/** A model name derived from a file name: lowercase, allowed characters only. */
export function modelNameFromFile(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.(onnx|pb)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return (base || 'model').slice(0, 128);
}

export function modelView(model: Model, report?: ConversionReport): ModelView {
  const lines: string[] = [];
  if (report) {
    const c = report.compatibility;
    lines.push(`${c.accelerator.nodes} node(s) on the accelerator, ${c.host.nodes} on the host`);
    lines.push(
      `accelerator ops: ${
        Object.entries(c.accelerator.ops)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ') || 'none'
      }`,
    );
    if (c.host.nodes)
      lines.push(
        `host ops: ${Object.entries(c.host.ops)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ')}`,
      );
    lines.push(
      `${c.parameters.toLocaleString('en')} parameters, ${(c.macsPerImage / 1e6).toFixed(1)} M MACs per image${c.macsComplete ? '' : ' (lower bound)'}`,
    );
    lines.push(`weights at ${report.precision}: ${(c.weightBytes[report.precision] / 1048576).toFixed(2)} MiB`);
    if (report.dequantized)
      lines.push(
        `dequantized from int8: ${Object.entries(report.dequantized.rewritten)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ')} rewritten to fp32 (${report.dequantized.clips} activation ranges kept as Clip)`,
      );
    if (report.precisionNote) lines.push(report.precisionNote);
    if (report.accuracyNote) lines.push(report.accuracyNote);
  }
  const delta = (a: AccuracyReport) =>
    `vs ${a.reference}: top-1 agreement ${(a.top1Agreement * 100).toFixed(1)}%, top-5 ${(a.top5Agreement * 100).toFixed(1)}% over ${a.images} images (max |Δp| ${a.maxAbsProbDiff.toFixed(4)})`;
  const deltas = [report?.accuracy, report?.accuracyVsDequantized].filter((a): a is AccuracyReport => !!a).map(delta);
  return {
    kind: 'model',
    id: model.id,
    framework: model.framework,
    preset: model.preset,
    labels: labelSetText(model.labels),
    fileName: model.fileName,
    sizeBytes: model.sizeBytes,
    inputs: model.inputs,
    outputs: model.outputs,
    tags: model.tags,
    description: model.description,
    parentId: model.parentId,
    precision: model.conversion?.precision,
    report: report
      ? {
          compatible: report.compatibility.host.nodes === 0,
          lines,
          accuracyDelta: deltas,
        }
      : undefined,
  };
}

export function registerModelCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.model.register', async (uri?: vscode.Uri, args?: RegisterArgs | vscode.Uri[]) => {
    const ws = await ctx.requireWorkspace();
    const opts = args && !Array.isArray(args) ? args : {};
    const given = uri instanceof vscode.Uri ? uri : undefined;
    const a = await runWizard<RegisterAnswers>({ file: given, name: opts.name }, [
      {
        id: 'file',
        shouldPrompt: () => !given,
        prompt: async (s) => {
          [s.file] = await ctx.ui.openDialog({
            canSelectFiles: true,
            canSelectFolders: false,
            canSelectMany: false,
            title: 'Register Model',
            openLabel: 'Register',
            defaultUri: s.file,
            filters: {
              'Models (ONNX, TensorFlow frozen graph)': Object.keys(MODEL_EXTENSIONS).map((e) => e.slice(1)),
            },
          });
        },
      },
      {
        id: 'name',
        shouldPrompt: () => !opts.name,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title: `Register ${path.basename(s.file!.fsPath)}`,
            ...p,
            prompt: 'Model name (registering an existing name adds a version)',
            value: s.name ?? modelNameFromFile(s.file!.fsPath),
            validate: (v) => (isValidName('model', v) ? undefined : MODEL_RULE),
          });
          if (r === BACK) return BACK;
          s.name = r;
        },
      },
    ]);
    const file = a.file!;
    const name = a.name!;
    const model = await trees.models.whileCreating(name, () =>
      withProgress(
        `Registering ${name}`,
        () => registerModel(ctx.store, ws, { path: file.fsPath, name, description: opts.description, tags: opts.tags }),
        false,
      ),
    );
    ctx.log.info(`model ${model.id} registered from ${file.fsPath}`);
    ctx.fireSoon();
    void vscode.window.showInformationMessage(
      `Registered model ${model.id} (${model.framework}, inputs ${model.inputs.map((t) => t.name).join(', ')}).`,
    );
    return model;
  });

  run.register('accel.model.addFromCatalog', async (choice?: string) => {
    const ws = await ctx.requireWorkspace();
    const family =
      choice ??
      noBack(
        await ctx.ui.pick({
          title: 'Add Model from Catalog',
          placeholder: 'Model family',
          items: Object.values(CATALOG).map((e) => ({
            label: e.family,
            description: e.title,
            detail: `${e.inputSize.join('×')} · ${e.labels} · ${e.download?.sha256 ? 'downloaded with sha256 verification (or from ACCEL_MIRROR)' : 'no verified download: register your own file'}`,
            value: e.family,
          })),
        }),
      );
    const entry = catalogEntry(family);
    const model = await trees.models.whileCreating(family, () =>
      withProgress(`Adding ${entry.title} from the catalog`, (progress) =>
        addCatalogModel(ctx.store, ws, family, { progress }),
      ),
    );
    ctx.fireSoon();
    return model;
  });

  run.register('accel.model.showDetails', async (node?: TreeNode) => {
    const { ws, value: model } = await pickModel(ctx, node, 'Show Model Details');
    const view = modelView(model, model.parentId ? readReport(ctx.store, ws, model) : undefined);
    ResultPanel.show(ctx.extension.extensionUri, view);
    return view;
  });

  run.register('accel.model.copyId', async (node?: TreeNode) => {
    const { value: model } = await pickModel(ctx, node, 'Copy Model Id');
    await vscode.env.clipboard.writeText(model.id);
    return model.id;
  });

  run.register('accel.model.delete', async (node?: TreeNode, options?: { confirmed?: boolean }) => {
    const { ws, value: model } = await pickModel(ctx, node, 'Delete Model');
    if (
      !options?.confirmed &&
      !(await ctx.ui.confirm(
        `Delete model ${model.id}?`,
        model.parentId
          ? 'Images made from it must be deleted first.'
          : 'Images made from it must be deleted first; its converted models stay (marked "source deleted").',
        'Delete',
      ))
    )
      return undefined;
    return removeModel(ctx, trees, ws, model.id, node);
  });
}

/** The single model delete (also each model step of Delete with Dependents). */
export async function removeModel(
  ctx: AccelContext,
  trees: Trees,
  ws: string,
  id: string,
  node?: TreeNode,
): Promise<string> {
  await trees.models.whileBusy(node, 'deleting…', () => deleteModel(ctx.store, ws, id));
  ctx.log.info(`model ${id} deleted`);
  ctx.fireSoon();
  return id;
}
