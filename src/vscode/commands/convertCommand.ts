// accel.model.convert: a wizard of step objects (input tensor from the graph's real tensors, outputs multi-pick,
// precision described by the model's last Compare Precisions numbers when there are some, calibration folder; Back
// works) that runs the conversion in a CLI child under a cancellable progress. Also registers Compare Precisions.
import * as fs from 'node:fs';
import { decodeGraphDef, tensorName } from '../../convert/graphDef';
import { decodeOnnx } from '../../convert/onnxModel';
import { readComparison } from '../../core/precisionCache';
import { AccelError } from '../../domain/errors';
import type { Model } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { BACK, runWizard, type WizardStep } from '../wizard';
import { withProgress, type CommandRunner } from './commandRunner';
import { registerComparePrecisions } from './comparePrecisions';
import { precisionItemText } from './comparePrecisionsRun';
import { pickModel } from './pickers';
import { convertInProcess } from './convertUseCase';

export type Precision = 'fp32' | 'msfp9' | 'msfp8';
const PRECISION_CHOICES: Precision[] = ['fp32', 'msfp9', 'msfp8'];

export interface ConvertAnswers {
  inputTensor?: string;
  outputTensors?: string[];
  precision?: Precision;
  /** Folder of images used to calibrate and to measure the precision's accuracy delta; '' = none. */
  calibrationFolder?: string;
  /** Rewrite an int8 QLinear model to fp32 first (`--dequantize`); asked only for such models. */
  dequantize?: boolean;
}

/**
 * Candidate tensors of a model file (graph inputs first, then every node output), and whether it is an int8
 * QLinear ONNX model, the kind `--dequantize` rewrites to fp32 (src/convert/dequantize.ts).
 */
export function graphTensors(file: string, model: Model): { inputs: string[]; outputs: string[]; qlinear: boolean } {
  const bytes = fs.readFileSync(file);
  if (model.framework === 'tensorflow') {
    const graph = decodeGraphDef(bytes, model.fileName);
    const placeholders = graph.node.filter((n) => n.op === 'Placeholder').map((n) => tensorName(n.name));
    const produced = graph.node
      .filter((n) => n.op !== 'Const' && n.op !== 'Placeholder')
      .map((n) => tensorName(n.name));
    return { inputs: placeholders, outputs: produced.reverse(), qlinear: false };
  }
  const onnx = decodeOnnx(bytes, model.fileName);
  const inits = new Set<string>((onnx.graph?.initializer ?? []).map((t: { name: string }) => t.name));
  const inputs = (onnx.graph?.input ?? []).map((i: { name: string }) => i.name).filter((n: string) => !inits.has(n));
  const outputs: string[] = [];
  let qlinear = false;
  for (const node of onnx.graph?.node ?? []) {
    for (const o of node.output ?? []) if (o) outputs.push(o);
    qlinear ||= String(node.op_type).startsWith('QLinear');
  }
  return { inputs, outputs: outputs.reverse(), qlinear };
}

export function registerConvertCommand(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  registerComparePrecisions(run, ctx);
  run.register('accel.model.convert', async (node?: TreeNode, preset?: ConvertAnswers) => {
    const { ws, value: model } = await pickModel(ctx, node, 'Convert Model', (m) => !m.parentId);
    const tensors = graphTensors(ctx.store.blobPath(ws, model.blob), model);
    const a: ConvertAnswers = {
      inputTensor: preset?.inputTensor,
      outputTensors: preset?.outputTensors,
      precision: preset?.precision,
      calibrationFolder: preset?.calibrationFolder,
      dequantize: preset?.dequantize,
    };
    const declared = new Set(model.outputs.map((t) => t.name));
    const state = await ctx.store.read(ws);
    const comparison = readComparison(ctx.store, ws, model, state.models);
    const steps: WizardStep<ConvertAnswers>[] = [
      {
        id: 'inputTensor',
        shouldPrompt: () => !preset?.inputTensor,
        prompt: async (s, position) => {
          const r = await ctx.ui.pick({
            title: `Convert ${model.id}: input tensor`,
            ...position,
            placeholder: 'The tensor that receives the preprocessed image',
            items: tensors.inputs.map((t) => ({
              label: t,
              description: model.inputs.find((m) => m.name === t)?.shape.join('×'),
              value: t,
              picked: t === s.inputTensor,
            })),
          });
          if (r === BACK) return BACK;
          s.inputTensor = r;
        },
      },
      {
        id: 'outputTensors',
        shouldPrompt: () => !preset?.outputTensors,
        prompt: async (s, position) => {
          const r = await ctx.ui.pickMany({
            title: `Convert ${model.id}: output tensors`,
            ...position,
            placeholder: 'Graph outputs are preselected; pick any tensor to cut the graph there',
            items: [...new Set([...model.outputs.map((t) => t.name), ...tensors.outputs])].map((t) => ({
              label: t,
              description: declared.has(t) ? 'graph output' : undefined,
              value: t,
              picked: (s.outputTensors ?? [...declared]).includes(t),
            })),
          });
          if (r === BACK) return BACK;
          if (!r.length) throw new AccelError('InvalidArgument', 'Pick at least one output tensor.');
          s.outputTensors = r;
        },
      },
      {
        id: 'precision',
        shouldPrompt: () => !preset?.precision,
        prompt: async (s, position) => {
          const r = await ctx.ui.pick<Precision>({
            title: `Convert ${model.id}: precision`,
            ...position,
            placeholder: comparison
              ? `Measured by Compare Precisions on ${comparison.images} photos: agreement with fp32 and weight size`
              : 'Compare Precisions… on the model measures these on your photos',
            items: PRECISION_CHOICES.map((p) => ({
              label: p,
              ...precisionItemText(p, comparison),
              value: p,
              picked: p === s.precision,
            })),
          });
          if (r === BACK) return BACK;
          s.precision = r;
        },
      },
      {
        id: 'dequantize',
        shouldPrompt: () => tensors.qlinear && preset?.dequantize === undefined,
        prompt: async (s, position) => {
          const narrow = s.precision !== 'fp32';
          const r = await ctx.ui.pick({
            title: `Convert ${model.id}: int8 model`,
            ...position,
            placeholder: 'The model is quantized to int8 (QLinear operators)',
            items: [
              {
                label: 'Dequantize to fp32 first',
                description: narrow
                  ? `so ${s.precision} applies to its weights (--dequantize)`
                  : 'an fp32 graph (--dequantize)',
                value: true,
                picked: s.dequantize ?? narrow,
              },
              {
                label: 'Keep the int8 graph',
                description: narrow ? `${s.precision} leaves int8 weights unchanged` : 'converted as it is',
                value: false,
                picked: s.dequantize === false || (s.dequantize === undefined && !narrow),
              },
            ],
          });
          if (r === BACK) return BACK;
          s.dequantize = r;
        },
      },
      {
        id: 'calibrationFolder',
        shouldPrompt: () => preset?.calibrationFolder === undefined,
        prompt: async (s, position) => {
          const r = await ctx.ui.pick<'none' | 'folder'>({
            title: `Convert ${model.id}: calibration images`,
            ...position,
            items: [
              { label: 'Default', description: 'ACCEL_CALIBRATION or the sample photos, when present', value: 'none' },
              {
                label: 'Choose a folder…',
                description: "images to measure the precision's accuracy delta",
                value: 'folder',
              },
            ],
          });
          if (r === BACK) return BACK;
          s.calibrationFolder =
            r === 'none'
              ? ''
              : (
                  await ctx.ui.openDialog({
                    canSelectFolders: true,
                    canSelectFiles: false,
                    title: 'Calibration images',
                  })
                )[0].fsPath;
        },
      },
    ];
    await runWizard(a, steps);
    const converted = await trees.models.whileCreating(`${model.name}.${model.version}.accelonnx`, () =>
      withProgress(
        `Converting ${model.id} (${a.precision}${a.dequantize ? ', dequantized' : ''})`,
        (progress, cancel) =>
          convertInProcess(
            ctx.extension.extensionPath,
            ctx.store,
            ws,
            model,
            {
              inputTensor: a.inputTensor!,
              outputTensors: a.outputTensors!,
              precision: a.precision!,
              calibrationFolder: a.calibrationFolder || undefined,
              dequantize: a.dequantize,
            },
            progress,
            cancel,
          ),
      ),
    );
    ctx.log.info(`model ${model.id} converted to ${converted.id}`);
    ctx.fireSoon();
    return converted;
  });
}
