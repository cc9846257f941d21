// Compare Precisions: a model's fp32 conversion against its msfp9 and msfp8 conversions on a folder of photos —
// top-1/top-5 agreement with fp32, mean and max |Δp| of the class probabilities, and the weight size of each. The
// converted graphs are built as `model convert` builds them (TF → ONNX with the image preprocessing cut, or the ONNX
// graph with its outputs cut) but never registered; an int8-quantized ONNX model is dequantized to fp32 first, since
// msfp would leave its int8 weights unchanged. The result is kept beside the workspace's state (one JSON per model
// file, precisionCache.ts), so the convert wizard can describe each precision with the last comparison's numbers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { calibrationImages, measureAccuracy } from '../convert/accuracy';
import { compatibilityReport } from '../convert/compatibility';
import { dequantizeModel } from '../convert/dequantize';
import { decodeGraphDef } from '../convert/graphDef';
import { decodeOnnx, encodeOnnx } from '../convert/onnxModel';
import { applyPrecision, PRECISIONS, quantizedReason, type Precision } from '../convert/precision';
import { convertTfGraph } from '../convert/tfToOnnx';
import { AccelError } from '../domain/errors';
import {
  neverCancelled,
  silentProgress,
  type CancellationSignal,
  type ProgressReporter,
  type WorkspaceStore,
} from '../domain/ports';
import { presetOf } from '../domain/presets';
import type { Model, PreprocessingPreset, PresetName } from '../domain/types';
import { inputSpec, tfInput } from './conversions';
import { findModel } from './models';
import { saveComparison, type PrecisionComparison, type PrecisionRow } from './precisionCache';

export interface CompareOptions {
  calibrationDir: string;
  inputTensor?: string;
  outputTensor?: string;
  progress?: ProgressReporter;
  cancel?: CancellationSignal;
}

/** The model to compare: a converted model stands for its registered source. */
function sourceModel(models: Model[], model: Model): Model {
  if (!model.conversion) return model;
  const source = models.find((m) => m.id === model.parentId);
  if (!source)
    throw new AccelError(
      'NotFound',
      `${model.id} is a converted model whose source ${model.parentId ?? ''} was deleted; compare precisions on a registered model.`,
    );
  return source;
}

interface Fp32Graph {
  model: any;
  inputName: string;
  preset: PresetName;
  preprocessing?: PreprocessingPreset;
  dequantized: boolean;
}

/** The fp32 ONNX graph `model convert --precision fp32` would produce (int8 graphs dequantized). */
function fp32Graph(
  bytes: Uint8Array,
  source: Model,
  input: string,
  output: string,
  cancel: CancellationSignal,
): Fp32Graph {
  if (source.framework === 'tensorflow') {
    const graph = decodeGraphDef(bytes, source.id);
    const { inputTensor, inputName, inputShape, preset, preprocessing } = tfInput(graph, input, source);
    const converted = convertTfGraph(graph, { inputTensor, inputName, inputShape, outputTensors: [output], cancel });
    return { model: converted.model, inputName, preset, preprocessing, dequantized: false };
  }
  const model = decodeOnnx(bytes, source.id);
  if (!model.graph.input.some((i: any) => i.name === input))
    throw new AccelError(
      'InvalidArgument',
      `Input tensor "${input}" is not an input of ${source.id}. Candidate input tensors: ${source.inputs.map((i) => i.name).join(', ')}.`,
    );
  if (!model.graph.node.some((n: any) => (n.output ?? []).includes(output)))
    throw new AccelError(
      'InvalidArgument',
      `Output tensor "${output}" is not in ${source.id}. Candidate output tensors: ${source.outputs.map((o) => o.name).join(', ')}.`,
    );
  model.graph.output = model.graph.output.filter((o: any) => o.name === output);
  if (!model.graph.output.length) model.graph.output.push({ name: output });
  const dequantized = quantizedReason(model) !== null;
  if (dequantized) dequantizeModel(model);
  return { model, inputName: input, preset: source.preset, preprocessing: source.preprocessing, dequantized };
}

/** Runs the comparison (loads onnxruntime: the CLI runs it, never the extension host). */
export async function comparePrecisions(
  store: WorkspaceStore,
  ws: string,
  modelRef: string,
  options: CompareOptions,
): Promise<PrecisionComparison> {
  const progress = options.progress ?? silentProgress;
  const cancel = options.cancel ?? neverCancelled;
  const state = await store.read(ws);
  const source = sourceModel(state.models, findModel(state, modelRef));
  const images = calibrationImages(options.calibrationDir);
  const input = options.inputTensor ?? source.conversion?.inputTensor ?? source.inputs[0]?.name;
  const output = options.outputTensor ?? source.outputs[0]?.name;
  if (!input || !output)
    throw new AccelError(
      'InvalidArgument',
      `${source.id} declares no ${input ? 'output' : 'input'} tensor; pass --input and --output.`,
    );
  progress.report({ message: `Building the fp32 graph of ${source.id}`, fraction: 0 });
  const bytes = fs.readFileSync(store.blobPath(ws, source.blob));
  const fp32 = fp32Graph(bytes, source, input, output, cancel);
  const imagePreset = presetOf({ preset: fp32.preset, preprocessing: fp32.preprocessing });
  if (imagePreset.name === 'none')
    throw new AccelError(
      'InvalidArgument',
      `${source.id} has no image preprocessing preset, so photos cannot be fed to it. Register it with --preset.`,
    );
  const reference = encodeOnnx(fp32.model);
  const weightBytes = compatibilityReport(fp32.model).weightBytes;
  const spec = inputSpec(fp32.model, fp32.inputName);
  const rows: PrecisionRow[] = [
    {
      precision: 'fp32',
      weightBytes: weightBytes.fp32,
      top1Agreement: 1,
      top5Agreement: 1,
      meanAbsProbDiff: 0,
      maxAbsProbDiff: 0,
      weightsRounded: 0,
    },
  ];
  const narrow = PRECISIONS.filter((p) => p !== 'fp32');
  for (const [i, precision] of narrow.entries()) {
    if (cancel.isCancellationRequested) throw new AccelError('Cancelled', 'The comparison was cancelled.');
    const model = decodeOnnx(reference, 'the fp32 graph');
    const applied = applyPrecision(model, precision);
    const from = i / narrow.length;
    const a = await measureAccuracy({
      reference,
      referenceLabel: 'fp32',
      candidate: encodeOnnx(model),
      referenceInput: spec,
      candidateInput: spec,
      referenceOutput: output,
      candidateOutput: output,
      preset: imagePreset,
      calibrationDir: options.calibrationDir,
      progress: {
        report: (u) =>
          progress.report({
            message: `${precision}: ${u.message ?? ''}`,
            fraction: from + (u.fraction ?? 0) / narrow.length,
          }),
      },
      cancel,
    });
    rows.push({
      precision,
      weightBytes: weightBytes[precision],
      top1Agreement: a.top1Agreement,
      top5Agreement: a.top5Agreement,
      meanAbsProbDiff: a.meanAbsProbDiff,
      maxAbsProbDiff: a.maxAbsProbDiff,
      weightsRounded: applied.weights,
    });
  }
  progress.report({ message: `Compared on ${images.length} photos`, fraction: 1 });
  const comparison: PrecisionComparison = {
    model: source.id,
    modelBlob: source.blob,
    inputTensor: input,
    outputTensor: output,
    calibrationDir: path.resolve(options.calibrationDir),
    images: images.length,
    reference: fp32.dequantized ? `${source.id} dequantized to fp32` : `${source.id} converted at fp32`,
    dequantized: fp32.dequantized,
    measuredAt: new Date().toISOString(),
    rows,
  };
  saveComparison(store, ws, comparison);
  return comparison;
}
