// The two TF Serving RPCs for one model: Predict (runs inside an inference worker, next to its session) and
// GetModelMetadata (answered on the main thread from the model's tensor specs).
import type * as ort from 'onnxruntime-node';
import { AccelError } from '../../domain/errors';
import { presetOf } from '../../domain/presets';
import type { PreprocessingPreset, TensorSpec } from '../../domain/types';
import { imageLayoutFor, preprocessImages } from './preprocess';
import { servingRoot } from '../../wire/servingProtos';
import {
  DTYPE_TO_TF,
  checkShape,
  elementCount,
  formatShape,
  numericInput,
  outputTensor,
  specTypeName,
  tfTypeName,
  wireChecked,
} from '../../wire/tensorCodec';
import {
  DT,
  WireFormatError,
  encodePredictResponse,
  readValues,
  scanPredictRequest,
  valueCount,
  type WireTensor,
} from '../../wire/wireCodec';

/** What a worker knows about the model it serves (plain data: it crosses the worker boundary). */
export interface ServedModel {
  serviceName: string;
  modelName: string;
  modelVersion: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  preset: string;
  preprocessing?: PreprocessingPreset;
}

export const SIGNATURE_NAME = 'serving_default';
/** Images per DT_STRING request; larger batches should be split by the client. */
export const MAX_IMAGES_PER_REQUEST = 64;

export interface PredictResult {
  bytes: Uint8Array;
  preprocessMs: number;
  inferenceMs: number;
}

function invalid(message: string): AccelError {
  return new AccelError('InvalidArgument', message);
}

function names(specs: TensorSpec[]): string {
  return specs.map((s) => `"${s.name}"`).join(', ');
}

/** A name the client sent, cut short for an error message (it travels back in a header). */
function sent(name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name;
}

export function checkModelSpec(
  model: ServedModel,
  spec: { name: string; version?: number; versionLabel?: string; signatureName: string } | undefined,
): void {
  if (!spec) return;
  if (spec.name && spec.name !== model.serviceName && spec.name !== model.modelName) {
    throw new AccelError(
      'NotFound',
      `This endpoint serves service "${model.serviceName}" (model "${model.modelName}"), not "${sent(spec.name)}". Set model_spec.name to "${model.serviceName}" or leave it empty.`,
    );
  }
  if (spec.version !== undefined && spec.version !== 0 && spec.version !== model.modelVersion) {
    throw new AccelError(
      'NotFound',
      `This endpoint serves version ${model.modelVersion} of model "${model.modelName}", not version ${spec.version}. Leave model_spec.version empty or set it to ${model.modelVersion}.`,
    );
  }
  if (spec.signatureName && spec.signatureName !== SIGNATURE_NAME) {
    throw invalid(
      `Unknown signature "${sent(spec.signatureName)}". The only signature is "${SIGNATURE_NAME}"; leave model_spec.signature_name empty or set it to that.`,
    );
  }
}

function imageInput(
  model: ServedModel,
  spec: TensorSpec,
  t: WireTensor,
): Promise<{ data: Float32Array; shape: number[] }> {
  if (spec.dtype !== 'float32') {
    throw invalid(
      `Input "${spec.name}" expects ${specTypeName(spec.dtype)}, got DT_STRING. Image bytes work only for float image inputs; send ${specTypeName(spec.dtype)} values.`,
    );
  }
  // Counted before any element is read, and no further than one past the limit.
  const count = wireChecked(() => valueCount(t, 'string_val', MAX_IMAGES_PER_REQUEST));
  if (count === 0)
    throw invalid(
      `Input "${spec.name}" is DT_STRING but holds no string_val; put one image file per string_val element.`,
    );
  if (count > MAX_IMAGES_PER_REQUEST) {
    throw invalid(
      `Input "${spec.name}" holds more than ${MAX_IMAGES_PER_REQUEST} images; the limit is ${MAX_IMAGES_PER_REQUEST} per request. Split the batch.`,
    );
  }
  if (t.shape && t.shape.length > 0) {
    const n = elementCount(t.shape, `Input "${spec.name}"`);
    if (t.shape.length !== 1 || n !== count) {
      throw invalid(
        `Input "${spec.name}": DT_STRING shape must be [${count}] (one element per image), got ${formatShape(t.shape)} with ${count} string_val elements.`,
      );
    }
  }
  const preset = presetOf(model);
  return preprocessImages(
    wireChecked(() => readValues(t, 'string_val')),
    preset,
    imageLayoutFor(spec, preset),
  );
}

function runtimeError(e: unknown): AccelError {
  const message = (e as Error)?.message ?? String(e);
  if (/shape|dimension|rank|input|got invalid/i.test(message)) {
    return invalid(
      `The model rejected the input: ${message.split('\n')[0]}. Check the tensor shapes against GetModelMetadata.`,
    );
  }
  return new AccelError('Internal', `Inference failed: ${message.split('\n')[0]}`);
}

/** Decodes, validates, preprocesses, runs and encodes one Predict call. Throws AccelError with the status to send. */
export async function runPredict(
  model: ServedModel,
  session: ort.InferenceSession,
  ortModule: typeof ort,
  requestBytes: Uint8Array,
  asTensorContent: boolean,
): Promise<PredictResult> {
  const t0 = performance.now();
  let req;
  try {
    // Inputs are located, not decoded: each one's dtype and shape are checked below before its one value field is read.
    req = scanPredictRequest(requestBytes, { maxInputs: model.inputs.length, maxOutputFilter: model.outputs.length });
  } catch (e) {
    const why = e instanceof WireFormatError || e instanceof RangeError ? (e as Error).message : String(e);
    throw invalid(
      `The request is not a valid tensorflow.serving.PredictRequest (${why}). Build it from the TF Serving predict.proto.`,
    );
  }
  checkModelSpec(model, req.modelSpec);
  if (req.inputs.size === 0) {
    throw invalid(
      `The request has no inputs. Set inputs[${names(model.inputs)}] (DT_STRING image bytes or a DT_FLOAT tensor).`,
    );
  }
  for (const key of req.inputs.keys()) {
    if (!model.inputs.some((s) => s.name === key)) {
      throw invalid(`Unknown input "${sent(key)}". Valid input names: ${names(model.inputs)}.`);
    }
  }
  for (const spec of model.inputs) {
    if (!req.inputs.has(spec.name))
      throw invalid(`Missing input "${spec.name}". The model needs inputs ${names(model.inputs)}.`);
  }
  const unknownOutputs = req.outputFilter.filter((n) => !model.outputs.some((s) => s.name === n));
  if (unknownOutputs.length) {
    throw invalid(
      `Unknown output "${sent(unknownOutputs[0])}" in output_filter. Valid output names: ${names(model.outputs)}; an empty output_filter returns all.`,
    );
  }
  const fetch = req.outputFilter.length ? [...new Set(req.outputFilter)] : model.outputs.map((s) => s.name);

  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of model.inputs) {
    const t = req.inputs.get(spec.name)!;
    if (t.dtype === DT.STRING && spec.dtype !== 'string') {
      const { data, shape } = await imageInput(model, spec, t);
      feeds[spec.name] = new ortModule.Tensor('float32', data, shape);
    } else {
      if (t.dtype === DT.INVALID)
        throw invalid(
          `Input "${spec.name}" has no dtype; set dtype to ${specTypeName(spec.dtype)}${spec.dtype === 'float32' ? ' (or DT_STRING for image bytes)' : ''}.`,
        );
      if (DTYPE_TO_TF[spec.dtype] !== t.dtype && spec.dtype === 'float32') {
        throw invalid(`Input "${spec.name}" expects DT_FLOAT (or DT_STRING image bytes), got ${tfTypeName(t.dtype)}.`);
      }
      const { data, shape } = numericInput(spec, t);
      checkShape(spec, shape);
      feeds[spec.name] = new ortModule.Tensor(spec.dtype as 'float32', data as Float32Array, shape);
    }
  }
  const t1 = performance.now();
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.run(feeds, fetch);
  } catch (e) {
    throw runtimeError(e);
  }
  const t2 = performance.now();
  const outputs = new Map<string, WireTensor>();
  for (const name of fetch) {
    const r = results[name] as ort.Tensor;
    outputs.set(
      name,
      outputTensor(r.type as TensorSpec['dtype'], r.data as ArrayLike<unknown>, r.dims, asTensorContent),
    );
  }
  const bytes = encodePredictResponse({
    outputs,
    modelSpec: { name: model.serviceName, version: model.modelVersion, signatureName: SIGNATURE_NAME },
  });
  return { bytes, preprocessMs: t1 - t0, inferenceMs: t2 - t1 };
}

// ---- GetModelMetadata ----

function tensorInfo(spec: TensorSpec): object {
  return {
    name: spec.name,
    dtype: DTYPE_TO_TF[spec.dtype] ?? 0,
    tensor_shape: {
      dim: spec.shape.map((d) =>
        typeof d === 'number' && d >= 0 ? { size: d } : { size: -1, name: typeof d === 'string' ? d : '' },
      ),
    },
  };
}

/** The GetModelMetadataResponse (plain object for proto-loader's serializer). */
export function modelMetadataResponse(model: ServedModel, metadataFields: string[]): object {
  const unsupported = metadataFields.filter((f) => f !== 'signature_def');
  if (unsupported.length) {
    throw invalid(`Unsupported metadata_field "${unsupported[0]}". The only supported field is "signature_def".`);
  }
  const type = servingRoot().lookupType('tensorflow.serving.SignatureDefMap');
  const map = {
    signature_def: {
      [SIGNATURE_NAME]: {
        inputs: Object.fromEntries(model.inputs.map((s) => [s.name, tensorInfo(s)])),
        outputs: Object.fromEntries(model.outputs.map((s) => [s.name, tensorInfo(s)])),
        method_name: 'tensorflow/serving/predict',
      },
    },
  };
  const value = Buffer.from(type.encode(type.fromObject(map)).finish());
  return {
    model_spec: {
      name: model.serviceName,
      version: { value: String(model.modelVersion) },
      signature_name: SIGNATURE_NAME,
    },
    metadata: { signature_def: { type_url: 'type.googleapis.com/tensorflow.serving.SignatureDefMap', value } },
  };
}
