// The convert operation: a registered model (TF frozen graph or ONNX) → a converted model
// "<name>.<version>.accelonnx" whose parentId is the source. Runs as an Operation in the store
// (Running → Succeeded/Failed/Cancelled) with progress, a log file under the workspace and cancellation.
// Everything is validated before the operation starts; the result is registered in one commit at the end,
// so a failure or cancel leaves no converted model behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measureAccuracy, type AccuracyReport } from '../convert/accuracy';
import { compatibilityReport, type CompatibilityReport } from '../convert/compatibility';
import { decodeGraphDef, summarizeGraphDef, type GraphDef } from '../convert/graphDef';
import { decodeOnnx, encodeOnnx, summarizeOnnx } from '../convert/onnxModel';
import { dequantizeModel, type DequantizeResult } from '../convert/dequantize';
import { applyPrecision, PRECISIONS, quantizedReason, type Precision } from '../convert/precision';
import { cutPreprocessing, isStringPlaceholder, type PreprocessCut } from '../convert/preprocessSubgraph';
import { convertTfGraph } from '../convert/tfToOnnx';
import { dataInputs, parseTensorName, tensorName } from '../convert/tfGraph';
import { isProcessAlive, processIdentity } from '../processAlive';
import { PRIVATE_FILE_MODE, mkdirPrivate } from '../store/atomicFile';
import { AccelError, isAccelError } from '../domain/errors';
import { findModel, registerModel } from './models';
import {
  neverCancelled,
  silentProgress,
  type CancellationSignal,
  type ProgressReporter,
  type WorkspaceStore,
} from '../domain/ports';
import { presetOf } from '../domain/presets';
import type { Model, Operation, PreprocessingPreset, PresetName, TensorSpec } from '../domain/types';

export interface ConvertOptions {
  inputTensor: string;
  /** Output tensor names; a single comma-joined string works too (as the original service took them). */
  outputTensors: string[] | string;
  precision?: Precision;
  /** Folder of photos for the accuracy delta; undefined = default folder if it exists, null = skip. */
  calibrationDir?: string | null;
  /** Rewrite an int8-quantized ONNX model to fp32 first, so the precision applies to it (see convert/dequantize.ts). */
  dequantize?: boolean;
}

/** What a converted model's report blob holds. */
export interface ConversionReport {
  source: string;
  precision: Precision;
  precisionNote?: string;
  msfpBlockSize?: number;
  compatibility: CompatibilityReport;
  sourceOpHistogram: Record<string, number>;
  preprocessing?: PreprocessCut;
  /** Set with --dequantize: what the int8 → fp32 rewrite did. */
  dequantized?: DequantizeResult;
  /** Accuracy against the source model. */
  accuracy?: AccuracyReport;
  /** With --dequantize and a narrow precision: the delta against the fp32 dequantized model too. */
  accuracyVsDequantized?: AccuracyReport;
  accuracyNote?: string;
}

interface ConvertRequest extends Required<Omit<ConvertOptions, 'calibrationDir' | 'outputTensors' | 'dequantize'>> {
  dequantize?: boolean;
  modelId: string;
  outputTensors: string[];
  calibrationDir: string | null;
  detached: boolean;
}

/** How a TF graph's input is fed to the converter (model convert and Compare Precisions build the fp32 graph alike). */
export interface TfInput {
  /** The tensor the ONNX input replaces: the given one, or the boundary of its cut preprocessing. */
  inputTensor: string;
  /** The ONNX input's name: the given tensor's. */
  inputName: string;
  inputShape?: number[];
  preset: PresetName;
  preprocessing?: PreprocessingPreset;
  cut?: PreprocessCut;
}

/**
 * A string (encoded image) placeholder input is cut at its image preprocessing subgraph, whose parameters become the
 * converted model's preset; any other input is kept with the source's preset.
 */
export function tfInput(graph: GraphDef, input: string, source: Pick<Model, 'preset' | 'preprocessing'>): TfInput {
  const inputName = tensorName(input);
  if (!isStringPlaceholder(graph, inputName))
    return { inputTensor: inputName, inputName, preset: source.preset, preprocessing: source.preprocessing };
  const cut = cutPreprocessing(graph, inputName);
  return {
    inputTensor: cut.boundaryTensor,
    inputName,
    inputShape: [-1, cut.params.height, cut.params.width, 3],
    preset: cut.preset === 'custom' ? 'none' : cut.preset,
    preprocessing: cut.preset === 'custom' ? { name: 'custom', ...cut.params } : undefined,
    cut,
  };
}

/** The float32 input `name` of an ONNX model as declared by its graph (symbolic dims kept as names). */
export function inputSpec(model: any, name: string): TensorSpec {
  const vi = model.graph.input.find((i: any) => i.name === name);
  const dims = vi?.type?.tensor_type?.shape?.dim ?? [];
  return { name, dtype: 'float32', shape: dims.map((d: any) => (d.dim_param ? d.dim_param : Number(d.dim_value))) };
}

/** `<name>.<version>.accelonnx`, the name cut to 32-(11+len(version)) characters as the original service did. */
export function convertedModelName(name: string, version: number): string {
  const v = String(version);
  return `${name.slice(0, 32 - (11 + v.length))}.${v}.accelonnx`;
}

export function defaultCalibrationDir(): string | null {
  const dir =
    process.env.ACCEL_CALIBRATION ??
    (process.env.ACCEL_SHARED ? path.join(process.env.ACCEL_SHARED, 'data', 'images') : undefined);
  return dir && fs.existsSync(dir) ? dir : null;
}

function operationsDir(store: WorkspaceStore, ws: string): string {
  return path.join(path.dirname(store.stateFile(ws)), 'operations');
}

export function operationLogPath(store: WorkspaceStore, ws: string, id: string): string {
  return path.join(operationsDir(store, ws), `${id}.log`);
}

function requestPath(store: WorkspaceStore, ws: string, id: string): string {
  return path.join(operationsDir(store, ws), `${id}.request.json`);
}

function splitOutputs(o: string[] | string): string[] {
  return (Array.isArray(o) ? o : [o])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

function candidates(list: string[], max = 25): string {
  return list.length > max
    ? `${list.slice(0, max).join(', ')} … (${list.length - max} more; see \`accel model show\`)`
    : list.join(', ');
}

interface LoadedSource {
  model: Model;
  bytes: Uint8Array;
  graph?: GraphDef;
}

function loadSource(store: WorkspaceStore, ws: string, model: Model): LoadedSource {
  const bytes = fs.readFileSync(store.blobPath(ws, model.blob));
  return { model, bytes, graph: model.framework === 'tensorflow' ? decodeGraphDef(bytes, model.id) : undefined };
}

/** Input/output names must exist in the graph; a wrong one fails at once with the names it could be. */
function validateTensors(src: LoadedSource, input: string, outputs: string[]): void {
  if (outputs.length === 0)
    throw new AccelError(
      'InvalidArgument',
      'No output tensor given. Pass --output <tensor>[,<tensor>...] (e.g. classifier/resnet_v1_50/predictions/Softmax:0).',
    );
  if (src.graph) {
    const summary = summarizeGraphDef(src.graph);
    const outputsOf = new Map<string, number>();
    for (const n of src.graph.node) outputsOf.set(n.name, 1);
    for (const n of src.graph.node)
      for (const t of dataInputs(n)) {
        const p = parseTensorName(t);
        outputsOf.set(p.node, Math.max(outputsOf.get(p.node) ?? 1, p.index + 1));
      }
    const exists = (t: string) => {
      const p = parseTensorName(tensorName(t));
      return (outputsOf.get(p.node) ?? 0) > p.index;
    };
    if (!exists(input)) {
      throw new AccelError(
        'InvalidArgument',
        `Input tensor "${input}" is not in ${src.model.id}. Candidate input tensors: ${summary.inputs.map((i) => i.name).join(', ') || '(none: the graph has no Placeholder)'}.`,
        { candidates: summary.inputs.map((i) => i.name) },
      );
    }
    const missing = outputs.filter((o) => !exists(o));
    if (missing.length) {
      const list = summary.outputs.map((o) => o.name);
      throw new AccelError(
        'InvalidArgument',
        `Output tensor${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in ${src.model.id}. Candidate output tensors: ${candidates(list)}. Separate several outputs with commas.`,
        { candidates: list },
      );
    }
    return;
  }
  const names = new Set<string>();
  const onnx = decodeOnnx(src.bytes, src.model.id);
  for (const n of onnx.graph.node) n.output.forEach((o: string) => names.add(o));
  const inputs = src.model.inputs.map((i) => i.name);
  if (!inputs.includes(input)) {
    throw new AccelError(
      'InvalidArgument',
      `Input tensor "${input}" is not an input of ${src.model.id}. Candidate input tensors: ${inputs.join(', ')}.`,
      { candidates: inputs },
    );
  }
  const missing = outputs.filter((o) => !names.has(o));
  if (missing.length) {
    const list = src.model.outputs.map((o) => o.name);
    throw new AccelError(
      'InvalidArgument',
      `Output tensor${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in ${src.model.id}. Candidate output tensors: ${candidates(list)}. Separate several outputs with commas.`,
      { candidates: list },
    );
  }
}

/** Validates everything and records a Running operation; the work itself is `runConversion`. */
export async function startConversion(
  store: WorkspaceStore,
  ws: string,
  modelRef: string,
  options: ConvertOptions,
  detached = false,
): Promise<Operation> {
  const precision = options.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision))
    throw new AccelError('InvalidArgument', `Unknown precision "${precision}". Use one of: ${PRECISIONS.join(', ')}.`);
  const state = await store.read(ws);
  const model = findModel(state, modelRef);
  if (model.conversion)
    throw new AccelError(
      'InvalidArgument',
      `${model.id} is already a converted model. Convert its source ${model.parentId ?? ''} instead.`,
    );
  const outputs = splitOutputs(options.outputTensors);
  const src = loadSource(store, ws, model);
  validateTensors(src, options.inputTensor, outputs);
  if (options.dequantize && (src.graph || !quantizedReason(decodeOnnx(src.bytes, model.id)))) {
    throw new AccelError(
      'InvalidArgument',
      `--dequantize rewrites int8-quantized ONNX models (QLinearConv/QuantizeLinear...) to fp32, but ${model.id} is not one${src.graph ? ' (it is a TensorFlow graph)' : ''}. Drop --dequantize.`,
    );
  }
  const calibrationDir = options.calibrationDir === undefined ? defaultCalibrationDir() : options.calibrationDir;
  if (calibrationDir && !fs.existsSync(calibrationDir)) {
    throw new AccelError(
      'NotFound',
      `Calibration folder ${calibrationDir} does not exist. Pass --calibration with a folder of photos.`,
    );
  }
  const id = `convert-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const request: ConvertRequest = {
    modelId: model.id,
    inputTensor: options.inputTensor,
    outputTensors: outputs,
    precision,
    calibrationDir,
    detached,
    ...(options.dequantize ? { dequantize: true } : {}),
  };
  mkdirPrivate(operationsDir(store, ws));
  fs.writeFileSync(requestPath(store, ws, id), JSON.stringify(request, null, 2), { mode: PRIVATE_FILE_MODE });
  fs.writeFileSync(operationLogPath(store, ws, id), '', { mode: PRIVATE_FILE_MODE });
  return store.update(ws, (s) => {
    const op: Operation = {
      id,
      kind: 'convert',
      state: 'Running',
      target: model.id,
      createdTime: new Date().toISOString(),
      pid: process.pid,
    };
    s.operations.push(op);
    return op;
  });
}

async function finish(store: WorkspaceStore, ws: string, id: string, patch: Partial<Operation>): Promise<Operation> {
  return store.update(ws, (s) => {
    const op = s.operations.find((o) => o.id === id)!;
    Object.assign(op, patch, { finishedTime: new Date().toISOString() });
    return { ...op };
  });
}

/** Runs a started conversion to its end state. Never throws for conversion errors: they end as Failed. */
export async function runConversion(
  store: WorkspaceStore,
  ws: string,
  id: string,
  progress: ProgressReporter = silentProgress,
  cancel: CancellationSignal = neverCancelled,
): Promise<Operation> {
  const request = JSON.parse(fs.readFileSync(requestPath(store, ws, id), 'utf8')) as ConvertRequest;
  const logFile = operationLogPath(store, ws, id);
  const log = (line: string) => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  await store.update(ws, (s) => {
    const op = s.operations.find((o) => o.id === id);
    if (op) op.pid = process.pid;
  });
  const checkpoint = async () => {
    if (cancel.isCancellationRequested) throw new AccelError('Cancelled', 'The conversion was cancelled.');
    const op = (await store.read(ws)).operations.find((o) => o.id === id);
    if (op?.cancelRequested) throw new AccelError('Cancelled', 'The conversion was cancelled.');
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-convert-'));
  try {
    const step = async (fraction: number, message: string) => {
      await checkpoint();
      progress.report({ fraction, message });
      log(message);
    };
    await step(
      0.02,
      `Converting ${request.modelId}: input ${request.inputTensor}, outputs ${request.outputTensors.join(', ')}, precision ${request.precision}${request.dequantize ? ', dequantized from int8' : ''}`,
    );
    const state = await store.read(ws);
    const src = loadSource(store, ws, findModel(state, request.modelId));
    const source = src.model;

    let model: any;
    let fp32Bytes: Uint8Array;
    let sourceOpHistogram: Record<string, number>;
    let cut: PreprocessCut | undefined;
    let dequantized: DequantizeResult | undefined;
    let preset: PresetName = source.preset;
    let preprocessing: PreprocessingPreset | undefined = source.preprocessing;
    let inputName = request.inputTensor;
    if (src.graph) {
      const tf = tfInput(src.graph, request.inputTensor, source);
      const { inputTensor, inputShape } = tf;
      ({ inputName, preset, preprocessing, cut } = tf);
      if (cut) {
        log(
          `Input ${inputName} is a string placeholder: cut the ${cut.nodeCount}-node image preprocessing subgraph at ${cut.boundaryTensor}.`,
        );
        log(`Preprocessing: ${JSON.stringify(cut.params)} → preset ${cut.preset}.`);
        cut.notes.forEach(log);
      }
      await step(0.1, 'Converting the TensorFlow graph to ONNX (opset 13)');
      const converted = convertTfGraph(src.graph, {
        inputTensor,
        inputName,
        inputShape,
        outputTensors: request.outputTensors,
        cancel,
      });
      sourceOpHistogram = converted.tfOpHistogram;
      log(
        `Converted ${Object.values(converted.tfOpHistogram).reduce((a, b) => a + b, 0)} TF nodes; ${converted.foldedNodes} folded into constants or neighbouring ops.`,
      );
      fp32Bytes = encodeOnnx(converted.model);
      model = decodeOnnx(fp32Bytes, 'the converted model');
    } else {
      await step(0.1, 'Validating the ONNX model');
      model = decodeOnnx(src.bytes, source.id);
      sourceOpHistogram = summarizeOnnx(model).opTypes;
      model.graph.output = model.graph.output.filter((o: any) => request.outputTensors.includes(o.name));
      for (const o of request.outputTensors) {
        if (!model.graph.output.some((x: any) => x.name === o)) model.graph.output.push({ name: o });
      }
      if (request.dequantize) {
        await step(0.2, 'Rewriting the int8 model to fp32 (--dequantize)');
        dequantized = dequantizeModel(model);
        log(
          `Dequantized: ${Object.entries(dequantized.rewritten)
            .map(([k, v]) => `${k}×${v}`)
            .join(
              ', ',
            )} rewritten; ${dequantized.weights} weights and biases now fp32; ${dequantized.clips} activation ranges kept as Clip.`,
        );
      }
      fp32Bytes = encodeOnnx(model);
    }

    await step(0.3, `Applying precision ${request.precision}`);
    const prec = applyPrecision(model, request.precision);
    log(
      prec.note ??
        `${request.precision}: rounded ${prec.weights} weights in ${prec.tensors} Conv/MatMul/Gemm tensors (blocks of 16 along the reduction axis, 5-bit shared exponent).`,
    );
    const bytes = encodeOnnx(model);

    await step(0.4, 'Checking that the converted model loads in onnxruntime');
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(bytes).catch((e: Error) => {
      throw new AccelError(
        'Internal',
        `The converted model does not load in onnxruntime: ${e.message}. Report this with the conversion log.`,
      );
    });
    await session.release();
    const compatibility = compatibilityReport(model);
    log(
      `Compatibility: ${compatibility.accelerator.nodes} nodes on the accelerator, ${compatibility.host.nodes} on the host; ${compatibility.parameters} parameters; ${compatibility.macsPerImage} MACs per image.`,
    );

    const report: ConversionReport = {
      source: source.id,
      precision: request.precision,
      compatibility,
      sourceOpHistogram,
      ...(prec.note && request.precision !== 'fp32' ? { precisionNote: prec.note } : {}),
      ...(request.precision !== 'fp32' ? { msfpBlockSize: 16 } : {}),
      ...(cut ? { preprocessing: cut } : {}),
      ...(dequantized ? { dequantized } : {}),
    };
    const classifier = request.outputTensors[0];
    const imagePreset = presetOf({ preset, preprocessing });
    const presetParams = imagePreset.name !== 'none' ? imagePreset : undefined;
    const tfFp32 = src.graph && request.precision === 'fp32';
    if (!request.calibrationDir) report.accuracyNote = 'No calibration folder: accuracy not measured.';
    else if (!presetParams) report.accuracyNote = 'The model has no image preset: accuracy not measured.';
    else if (tfFp32)
      report.accuracyNote =
        'fp32 conversion of a TensorFlow graph: it is the reference itself (TensorFlow does not run here), so there is no delta to measure.';
    else {
      await step(0.5, `Measuring the accuracy delta on ${request.calibrationDir}`);
      const measure = async (
        reference: Uint8Array,
        referenceLabel: string,
        from: number,
        to: number,
      ): Promise<AccuracyReport> => {
        const a = await measureAccuracy({
          reference,
          referenceLabel,
          candidate: bytes,
          referenceInput: inputSpec(decodeOnnx(reference), inputName),
          candidateInput: inputSpec(model, inputName),
          referenceOutput: classifier,
          candidateOutput: classifier,
          preset: presetParams,
          calibrationDir: request.calibrationDir!,
          progress: {
            report: (u) => progress.report({ message: u.message, fraction: from + (to - from) * (u.fraction ?? 0) }),
          },
          cancel,
          checkpoint,
        });
        log(
          `Accuracy vs ${a.reference} on ${a.images} images: top-1 agreement ${(a.top1Agreement * 100).toFixed(1)}%, top-5 agreement ${(a.top5Agreement * 100).toFixed(1)}%, max |Δp| ${a.maxAbsProbDiff.toExponential(3)}, mean |Δp| ${a.meanAbsProbDiff.toExponential(3)}.`,
        );
        return a;
      };
      const both = dequantized && request.precision !== 'fp32';
      report.accuracy = await measure(
        src.graph ? fp32Bytes : src.bytes,
        src.graph ? `${source.id} converted at fp32` : source.id,
        0.5,
        both ? 0.7 : 0.9,
      );
      if (both) report.accuracyVsDequantized = await measure(fp32Bytes, `${source.id} dequantized to fp32`, 0.7, 0.9);
    }
    if (report.accuracyNote) log(report.accuracyNote);

    await step(0.95, 'Registering the converted model');
    const name = convertedModelName(source.name, source.version);
    const file = path.join(tmp, `${name}.onnx`);
    fs.writeFileSync(file, bytes);
    const reportBlob = await store.putBlob(ws, { bytes: Buffer.from(JSON.stringify(report, null, 2)) });
    let converted: Model;
    try {
      converted = await registerModel(store, ws, {
        path: file,
        name,
        framework: 'onnx',
        preset,
        preprocessing,
        labels: source.labels,
        parentId: source.id,
        tags: source.tags,
        description: `${source.id} converted for the accelerator (${request.precision}${dequantized ? ', dequantized from int8' : ''})`,
        conversion: {
          operationId: id,
          precision: request.precision,
          inputTensor: inputName,
          outputTensors: request.outputTensors,
          reportBlob: reportBlob.sha256,
        },
      });
    } catch (e) {
      await store.releaseBlobs?.(ws, [reportBlob.sha256]).catch(() => undefined);
      throw e;
    }
    log(`Succeeded: registered ${converted.id}.`);
    progress.report({ fraction: 1, message: `Registered ${converted.id}` });
    return await finish(store, ws, id, { state: 'Succeeded', resultId: converted.id });
  } catch (e) {
    const cancelled = isAccelError(e, 'Cancelled');
    const message = e instanceof Error ? e.message : String(e);
    log(cancelled ? 'Cancelled: nothing was registered.' : `Failed: ${message}`);
    return finish(store, ws, id, cancelled ? { state: 'Cancelled' } : { state: 'Failed', error: message });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Validates, runs to the end and returns the final operation (the extension and `--wait` use this). */
export async function convertModel(
  store: WorkspaceStore,
  ws: string,
  modelRef: string,
  options: ConvertOptions,
  progress?: ProgressReporter,
  cancel?: CancellationSignal,
): Promise<Operation> {
  const op = await startConversion(store, ws, modelRef, options);
  return runConversion(store, ws, op.id, progress, cancel);
}

/** The operation; a Running one whose process is gone is recorded as Failed. */
export async function getOperation(store: WorkspaceStore, ws: string, id: string): Promise<Operation> {
  const find = (ops: Operation[]) => {
    const op = ops.find((o) => o.id === id);
    if (!op)
      throw new AccelError(
        'NotFound',
        `Operation ${id} not found in workspace ${ws}. List models with \`accel model list\`; operation ids are printed by \`accel model convert\`.`,
      );
    return op;
  };
  const op = find((await store.read(ws)).operations);
  if (op.state !== 'Running' || !op.pid || isProcessAlive(op.pid)) return op;
  return store.update(ws, (s) => {
    const o = find(s.operations);
    if (o.state === 'Running' && o.pid && !isProcessAlive(o.pid)) {
      Object.assign(o, { state: o.cancelRequested ? 'Cancelled' : 'Failed', finishedTime: new Date().toISOString() });
      if (!o.cancelRequested)
        o.error = `The process running it (pid ${o.pid}) exited before it finished. Run the conversion again.`;
    }
    return { ...o };
  });
}

export async function operationLog(store: WorkspaceStore, ws: string, id: string): Promise<string> {
  await getOperation(store, ws, id);
  const file = operationLogPath(store, ws, id);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** Requests cancellation; a detached runner process is stopped at once (it has written nothing yet). */
export async function cancelOperation(store: WorkspaceStore, ws: string, id: string): Promise<Operation> {
  const op = await getOperation(store, ws, id);
  if (op.state !== 'Running') return op;
  await store.update(ws, (s) => {
    const o = s.operations.find((x) => x.id === id)!;
    o.cancelRequested = true;
  });
  const reqFile = requestPath(store, ws, id);
  const detached = fs.existsSync(reqFile) && (JSON.parse(fs.readFileSync(reqFile, 'utf8')) as ConvertRequest).detached;
  // Pids are reused: signal the recorded pid only while its command line is this operation's runner
  // (`accel operation run <id>`); where /proc gives no command line, liveness is all there is.
  const runner = op.pid ? processIdentity(op.pid) : undefined;
  const isRunner = runner !== undefined && (runner.cmdline === undefined || runner.cmdline.includes(id));
  if (detached && op.pid && op.pid !== process.pid && isRunner) {
    try {
      process.kill(op.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 100 && isProcessAlive(op.pid); i++) await new Promise((r) => setTimeout(r, 50));
    fs.appendFileSync(
      operationLogPath(store, ws, id),
      `${new Date().toISOString()} Cancelled: the runner process was stopped; nothing was registered.\n`,
    );
  }
  return getOperation(store, ws, id);
}

/** The stored conversion report of a converted model, or undefined. */
export function readConversionReport(store: WorkspaceStore, ws: string, model: Model): ConversionReport | undefined {
  const blob = model.conversion?.reportBlob;
  if (!blob) return undefined;
  return JSON.parse(fs.readFileSync(store.blobPath(ws, blob), 'utf8')) as ConversionReport;
}

/** Records the detached process that runs the operation (so `show` can tell a dead runner). */
export async function attachRunner(store: WorkspaceStore, ws: string, id: string, pid: number): Promise<void> {
  await store.update(ws, (s) => {
    const op = s.operations.find((o) => o.id === id);
    if (op && op.state === 'Running') op.pid = pid;
  });
}
