// TF Serving REST JSON ⇄ PredictRequest/PredictResponse bytes, with bounds: nesting depth is checked on the raw
// bytes before JSON.parse builds anything, nested number lists must be rectangular (a ragged list is refused and
// named), and a tensor is only allocated once its shape matches the model's input and fits in the body.
// Runs in the REST JSON worker (restJsonWorker.ts), never on the thread that serves every endpoint.
import { AccelError } from '../../domain/errors';
import type { TensorSpec } from '../../domain/types';
import type { ServedModel } from '../runtime/predictionService';
import { checkShape, tensorToFloat32 } from '../../wire/tensorCodec';
import { DT, decodePredictResponse, encodePredictRequest, type WireTensor } from '../../wire/wireCodec';

/** Deepest nesting of JSON arrays and objects accepted: a rank-8 tensor in a keyed instance needs 11. */
export const MAX_JSON_DEPTH = 32;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function invalid(message: string): AccelError {
  return new AccelError('InvalidArgument', message);
}

/** Bytes the depth scan looks at: 1 opens, 2 closes, 3 is a quote; everything else is skipped in one test. */
const SCAN = new Uint8Array(256);
SCAN[0x5b] = SCAN[0x7b] = 1;
SCAN[0x5d] = SCAN[0x7d] = 2;
SCAN[0x22] = 3;

/** One pass over the bytes (strings skipped): refuses nesting deeper than `maxDepth` before any parsing. */
export function checkJsonDepth(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const kind = SCAN[bytes[i]];
    if (kind === 0) continue;
    if (kind === 1) {
      if (++depth > maxDepth) {
        throw invalid(
          `The JSON body nests arrays and objects deeper than ${maxDepth} levels (at byte ${i}). Send {"instances": [...]} with one list level per tensor dimension.`,
        );
      }
    } else if (kind === 2) depth--;
    else {
      // a string: skip to its closing quote (a backslash escapes the next byte)
      for (i++; i < bytes.length && bytes[i] !== 0x22; i++) if (bytes[i] === 0x5c) i++;
    }
  }
}

/** Parses a REST body: depth-checked, valid UTF-8, one JSON object. */
export function parseRestBody(bytes: Uint8Array): Json {
  checkJsonDepth(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('The body is not valid UTF-8 text. Send JSON: {"instances": [...]}.');
  }
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw invalid(`The body is not valid JSON (${(e as Error).message}). Send {"instances": [...]}.`);
  }
}

function isB64(v: Json): v is { b64: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { b64?: unknown }).b64 === 'string';
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  return typeof v === 'number' ? `the number ${v}` : `${v}`;
}

/** The shape a nested list claims by its first elements: [n, len(v[0]), len(v[0][0]), ...]. */
function probeShape(values: Json[]): number[] {
  const shape = [values.length];
  let probe: Json = values[0];
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  return shape;
}

/** "instance 3[0][12]": where `path` (indices from the instance down) points, for error messages. */
function place(path: number[]): string {
  return `instance ${path[0]}${path
    .slice(1)
    .map((i) => `[${i}]`)
    .join('')}`;
}

/**
 * Copies a rectangular nested list of numbers into `out` (`path` holds the indices down to `v`); the first place
 * that differs from the shape is named in the error. The innermost lists are copied in a loop of their own.
 */
function fill(
  inputName: string,
  v: Json,
  shape: number[],
  dim: number,
  out: Float32Array,
  pos: { i: number },
  path: number[],
): void {
  const notNumber = (x: Json) =>
    invalid(
      `Input "${inputName}": ${place(path)} is ${describe(x)}, but ${shape.length > 1 ? 'the first element at this depth is a number' : 'instances are numbers here'}. Every instance must be a list of numbers of one shape (or {"b64": ...} for an image).`,
    );
  if (dim === shape.length) {
    if (typeof v !== 'number') throw notNumber(v);
    out[pos.i++] = v;
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw invalid(
      `Input "${inputName}" is ragged: ${place(path)} is ${describe(v)}, but the first element at this depth is a list of ${shape[dim]}. Nested lists must all have the same shape ${JSON.stringify(shape.slice(1))} per instance.`,
    );
  }
  if (dim === shape.length - 1) {
    let i = pos.i;
    for (let k = 0; k < v.length; k++) {
      const x = v[k];
      if (typeof x !== 'number') {
        path.push(k);
        throw notNumber(x);
      }
      out[i++] = x;
    }
    pos.i = i;
    return;
  }
  for (let k = 0; k < v.length; k++) {
    path.push(k);
    fill(inputName, v[k], shape, dim + 1, out, pos, path);
    path.pop();
  }
}

/** A list of per-example values (row format, one input) → one TensorProto. `budget` caps the elements. */
function tensorFromValues(spec: TensorSpec | undefined, inputName: string, values: Json[], budget: number): WireTensor {
  if (values.length === 0) throw invalid(`Input "${inputName}" has no instances.`);
  if (isB64(values[0])) {
    const bad = values.findIndex((v) => !isB64(v));
    if (bad >= 0)
      throw invalid(
        `Input "${inputName}": instance ${bad} is ${describe(values[bad])}, but instance 0 is {"b64": ...}. Send every image as {"b64": "<base64 file bytes>"}.`,
      );
    return {
      dtype: DT.STRING,
      shape: [values.length],
      stringVal: values.map((v) => Buffer.from((v as { b64: string }).b64, 'base64')),
    };
  }
  const shape = probeShape(values);
  if (spec && spec.dtype !== 'string') checkShape(spec, shape);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > budget) {
    throw invalid(
      `Input "${inputName}" is ragged: its first elements claim shape ${JSON.stringify(shape)} (${count} numbers), more than the body holds. Nested lists must all have the same shape.`,
    );
  }
  const out = new Float32Array(count);
  const pos = { i: 0 };
  for (let k = 0; k < values.length; k++) fill(inputName, values[k], shape, 1, out, pos, [k]);
  return { dtype: DT.FLOAT, shape, floatVal: out };
}

/**
 * The PredictRequest bytes for a parsed REST body: row format (`instances`, optionally keyed by input name) or
 * column format (`inputs`). `bodyBytes` bounds the elements a tensor may claim (a number needs at least 2 bytes).
 */
export function requestFromJson(model: ServedModel, body: Json, bodyBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body must be a JSON object with "instances" or "inputs".');
  const budget = Math.ceil(bodyBytes / 2);
  const inputs = new Map<string, WireTensor>();
  const specOf = (name: string) => {
    const spec = model.inputs.find((s) => s.name === name);
    if (!spec)
      throw invalid(
        `This model has no input ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name)}; its inputs are ${model.inputs.map((s) => `"${s.name}"`).join(', ')}.`,
      );
    return spec;
  };
  const single = model.inputs.length === 1 ? model.inputs[0] : undefined;
  if (Array.isArray(body.instances)) {
    const instances = body.instances;
    const named =
      instances.length > 0 &&
      instances.every((i) => typeof i === 'object' && i !== null && !Array.isArray(i) && !isB64(i));
    if (named) {
      for (const spec of model.inputs) {
        const missing = instances.findIndex((i) => (i as Record<string, Json>)[spec.name] === undefined);
        if (missing >= 0)
          throw invalid(
            `Instance ${missing} has no value for input "${spec.name}". Give every instance a value for each input.`,
          );
        inputs.set(
          spec.name,
          tensorFromValues(
            spec,
            spec.name,
            instances.map((i) => (i as Record<string, Json>)[spec.name]),
            budget,
          ),
        );
      }
    } else {
      if (!single)
        throw invalid(
          `This model has inputs ${model.inputs.map((s) => `"${s.name}"`).join(', ')}; give each instance as an object keyed by input name.`,
        );
      inputs.set(single.name, tensorFromValues(single, single.name, instances, budget));
    }
  } else if (body.inputs !== undefined) {
    const cols = body.inputs;
    if (typeof cols === 'object' && cols !== null && !Array.isArray(cols) && !isB64(cols)) {
      for (const [name, v] of Object.entries(cols))
        inputs.set(name, tensorFromValues(specOf(name), name, Array.isArray(v) ? v : [v], budget));
    } else {
      if (!single) throw invalid('"inputs" must be an object keyed by input name for a model with several inputs.');
      inputs.set(single.name, tensorFromValues(single, single.name, Array.isArray(cols) ? cols : [cols], budget));
    }
  } else {
    throw invalid('The body needs "instances" (row format) or "inputs" (column format).');
  }
  return encodePredictRequest({
    inputs,
    outputFilter: [],
    modelSpec: { name: '', signatureName: typeof body.signature_name === 'string' ? body.signature_name : '' },
  });
}

function nest(values: Float32Array, dims: number[]): Json {
  if (dims.length === 0) return values[0] ?? null;
  if (dims.length === 1) return Array.from(values);
  const step = values.length / dims[0];
  return Array.from({ length: dims[0] }, (_, i) => nest(values.subarray(i * step, (i + 1) * step), dims.slice(1)));
}

export function jsonFromResponse(bytes: Uint8Array): Json {
  const res = decodePredictResponse(bytes);
  const outs = [...res.outputs.entries()].map(([name, t]) => [name, nest(tensorToFloat32(t), t.shape ?? [])] as const);
  if (outs.length === 1) return { predictions: outs[0][1] };
  const batch = Math.max(...outs.map(([, v]) => (Array.isArray(v) ? v.length : 1)));
  return {
    predictions: Array.from({ length: batch }, (_, i) =>
      Object.fromEntries(outs.map(([n, v]) => [n, Array.isArray(v) ? v[i] : v])),
    ),
  };
}
