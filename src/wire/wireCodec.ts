// Hand-written protobuf codec for the hot messages (PredictRequest, PredictResponse, TensorProto), wire-compatible
// with protos/tensorflow_serving/apis/predict.proto. Why by hand: protobufjs decodes `repeated float float_val`
// element by element (several ms for one 224×224×3 tensor, see performance.md §6.3); packed floats are one
// memcpy here, so float_val and tensor_content cost the same on both sides of the wire.
import * as protobuf from 'protobufjs';

/** TensorFlow DataType enum values (protos/tensorflow/core/framework/types.proto). */
export const DT = {
  INVALID: 0,
  FLOAT: 1,
  DOUBLE: 2,
  INT32: 3,
  UINT8: 4,
  INT16: 5,
  INT8: 6,
  STRING: 7,
  INT64: 9,
  BOOL: 10,
  UINT16: 17,
  HALF: 19,
  UINT32: 22,
  UINT64: 23,
} as const;

export interface WireTensor {
  dtype: number;
  /** undefined when the request carried no tensor_shape (or unknown_rank). */
  shape?: number[];
  tensorContent?: Uint8Array;
  floatVal?: Float32Array;
  doubleVal?: Float64Array;
  /** int_val, also carrying uint8/int8/int16/uint16 values and half_val bit patterns. */
  intVal?: Int32Array;
  int64Val?: bigint[];
  uint32Val?: number[];
  uint64Val?: bigint[];
  boolVal?: boolean[];
  stringVal?: Uint8Array[];
  /**
   * Set by scanPredictRequest instead of the *_val fields above: where the value fields lie in the request bytes.
   * Read them with valueCount / readValues, which decode only the field asked for.
   */
  undecoded?: UndecodedValues;
}

export interface UndecodedValues {
  bytes: Uint8Array;
  /** (field number, start, end) triples in message order; each range holds only occurrences of that field. */
  runs: number[];
}

export interface WireModelSpec {
  name: string;
  version?: number;
  versionLabel?: string;
  signatureName: string;
}

export interface WirePredictRequest {
  modelSpec?: WireModelSpec;
  inputs: Map<string, WireTensor>;
  outputFilter: string[];
}

export interface WirePredictResponse {
  modelSpec?: WireModelSpec;
  outputs: Map<string, WireTensor>;
}

export class WireFormatError extends Error {}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

type LongLike = { low: number; high: number; unsigned: boolean };

function toNumber(v: number | LongLike): number {
  if (typeof v === 'number') return v;
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return Number(v.unsigned ? u : BigInt.asIntN(64, u));
}

/** Tensor fields that hold values, by field number, with how one element is encoded. */
const VALUE_KIND: Record<number, ValueKind> = {
  5: 'f32',
  6: 'f64',
  7: 'i32',
  8: 'bytes',
  10: 'i64',
  11: 'bool',
  13: 'i32',
  16: 'u32',
  17: 'u64',
};
type ValueKind = 'f32' | 'f64' | 'i32' | 'u32' | 'i64' | 'u64' | 'bool' | 'bytes';

/** The TensorProto value fields a reader can ask for; int_val also reads half_val (field 13), as TF does for DT_HALF. */
export const VALUE_FIELDS = {
  float_val: { numbers: [5], kind: 'f32' },
  double_val: { numbers: [6], kind: 'f64' },
  int_val: { numbers: [7, 13], kind: 'i32' },
  string_val: { numbers: [8], kind: 'bytes' },
  int64_val: { numbers: [10], kind: 'i64' },
  bool_val: { numbers: [11], kind: 'bool' },
  uint32_val: { numbers: [16], kind: 'u32' },
  uint64_val: { numbers: [17], kind: 'u64' },
} as const satisfies Record<string, { numbers: readonly number[]; kind: ValueKind }>;
export type ValueField = keyof typeof VALUE_FIELDS;

/** What readValues returns for each field. */
export interface FieldValues {
  float_val: Float32Array;
  double_val: Float64Array;
  int_val: Int32Array;
  string_val: Uint8Array[];
  int64_val: BigInt64Array;
  bool_val: Uint8Array;
  uint32_val: Uint32Array;
  uint64_val: BigUint64Array;
}

/** TensorFlow refuses shapes of more dimensions (TensorShape's kMaxDimensions). */
export const MAX_RANK = 254;
/**
 * Runs of value fields a tensor may hold. An encoder writes each repeated field in one run (two when two messages
 * were concatenated); only a hostile writer interleaves them element by element.
 */
export const MAX_VALUE_RUNS = 1024;

const WIRE_OF: Record<ValueKind, number> = {
  f32: WIRE_I32,
  f64: WIRE_I64,
  i32: WIRE_VARINT,
  u32: WIRE_VARINT,
  i64: WIRE_VARINT,
  u64: WIRE_VARINT,
  bool: WIRE_VARINT,
  bytes: WIRE_LEN,
};

// ---- byte-level helpers over the message buffer (the protobufjs Reader is too slow for element runs) ----

/** Low and high 32 bits of the last varint read by readVarint. */
let varLo = 0;
let varHi = 0;

/** Reads one varint at p (must end before `end`) into varLo/varHi; returns the position after it. */
function readVarint(buf: Uint8Array, p: number, end: number): number {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw new WireFormatError('a varint runs past the end of its field');
    const b = buf[p++];
    if (i < 4) lo |= (b & 0x7f) << (7 * i);
    else if (i === 4) {
      lo |= (b & 0x0f) << 28;
      hi = (b & 0x7f) >> 4;
    } else hi |= (b & 0x7f) << (7 * i - 32);
    if (b < 0x80) {
      varLo = lo;
      varHi = hi;
      return p;
    }
  }
  throw new WireFormatError('a varint is longer than 10 bytes');
}

function fieldName(field: number): string {
  for (const [name, f] of Object.entries(VALUE_FIELDS))
    if ((f.numbers as readonly number[]).includes(field)) return field === 13 ? 'half_val' : name;
  return `field ${field}`;
}

/** Skips one occurrence (the tag already read) of a value field; returns the position after it. */
function skipValue(buf: Uint8Array, p: number, wt: number, kind: ValueKind, end: number, field: number): number {
  if (wt === WIRE_LEN) {
    p = readVarint(buf, p, end);
    const len = varLo >>> 0;
    if (varHi !== 0 || p + len > end) throw new WireFormatError(`${fieldName(field)} runs past the end of its tensor`);
    return p + len;
  }
  if (wt !== WIRE_OF[kind]) throw new WireFormatError(`${fieldName(field)} has wire type ${wt}`);
  if (wt === WIRE_VARINT) return readVarint(buf, p, end);
  const size = wt === WIRE_I32 ? 4 : 8;
  if (p + size > end) throw new WireFormatError(`${fieldName(field)} runs past the end of its tensor`);
  return p + size;
}

/**
 * Skips every consecutive occurrence of the value field whose tag starts at `start` (tagLen bytes, the same bytes
 * for each occurrence); returns where the run ends. Nothing is decoded or allocated.
 */
function skipRun(buf: Uint8Array, start: number, tagLen: number, field: number, wt: number, end: number): number {
  const kind = VALUE_KIND[field];
  let p = start + tagLen;
  if (wt === WIRE_VARINT && tagLen === 1 && WIRE_OF[kind] === WIRE_VARINT) {
    // The common unpacked case (one-byte tags, varint values), without a call per element.
    const tagByte = buf[start];
    for (;;) {
      const limit = Math.min(end, p + 10);
      while (p < limit && buf[p] >= 0x80) p++;
      if (p === limit) throw new WireFormatError(`${fieldName(field)} ends inside a varint`);
      p++;
      if (p >= end || buf[p] !== tagByte) return p;
      p++;
    }
  }
  for (;;) {
    p = skipValue(buf, p, wt, kind, end, field);
    if (p + tagLen > end) return p;
    for (let i = 0; i < tagLen; i++) if (buf[p + i] !== buf[start + i]) return p;
    p += tagLen;
  }
}

/** Calls visit(p, end, packed) for every occurrence of `field` in the tensor's runs, in message order. */
function forEachOccurrence(
  u: UndecodedValues,
  numbers: readonly number[],
  visit: (p: number, end: number, packed: boolean, field: number) => boolean | void,
): void {
  const { bytes: buf, runs } = u;
  for (let i = 0; i < runs.length; i += 3) {
    const field = runs[i];
    if (!numbers.includes(field)) continue;
    const runEnd = runs[i + 2];
    let p = runs[i + 1];
    while (p < runEnd) {
      p = readVarint(buf, p, runEnd);
      const wt = varLo & 7;
      if (wt === WIRE_LEN) {
        p = readVarint(buf, p, runEnd);
        const end = p + (varLo >>> 0);
        if (visit(p, end, VALUE_KIND[field] !== 'bytes', field) === false) return;
        p = end;
      } else {
        const end = skipValue(buf, p, wt, VALUE_KIND[field], runEnd, field);
        if (visit(p, end, false, field) === false) return;
        p = end;
      }
    }
  }
}

function packedCount(buf: Uint8Array, p: number, end: number, kind: ValueKind, field: number): number {
  if (kind === 'f32' || kind === 'f64') {
    const size = kind === 'f32' ? 4 : 8;
    if ((end - p) % size !== 0)
      throw new WireFormatError(`${fieldName(field)} holds a partial ${kind === 'f32' ? 'float' : 'double'}`);
    return (end - p) / size;
  }
  // Varints: one element ends at each byte below 0x80.
  let n = 0;
  for (let i = p; i < end; i++) if (buf[i] < 0x80) n++;
  if (end > p && buf[end - 1] >= 0x80) throw new WireFormatError(`${fieldName(field)} ends inside a varint`);
  return n;
}

/**
 * How many values a tensor holds in `field`, counted without decoding them; stops counting once past `stopAfter`
 * (so the answer is then stopAfter + 1 or more).
 */
export function valueCount(t: WireTensor, field: ValueField, stopAfter = Infinity): number {
  if (!t.undecoded) return materializedValues(t, field)?.length ?? 0;
  const { numbers, kind } = VALUE_FIELDS[field];
  const buf = t.undecoded.bytes;
  let n = 0;
  forEachOccurrence(t.undecoded, numbers, (p, end, packed, f) => {
    n += packed ? packedCount(buf, p, end, kind, f) : 1;
    return n <= stopAfter;
  });
  return n;
}

function materializedValues(t: WireTensor, field: ValueField): ArrayLike<unknown> | undefined {
  switch (field) {
    case 'float_val':
      return t.floatVal;
    case 'double_val':
      return t.doubleVal;
    case 'int_val':
      return t.intVal;
    case 'string_val':
      return t.stringVal;
    case 'int64_val':
      return t.int64Val;
    case 'bool_val':
      return t.boolVal;
    case 'uint32_val':
      return t.uint32Val;
    case 'uint64_val':
      return t.uint64Val;
  }
}

/**
 * The values of one field, decoded now: only this field's bytes are read. Callers that must bound memory check
 * valueCount first (it costs no allocation); this allocates one array of exactly that many elements.
 */
export function readValues<F extends ValueField>(t: WireTensor, field: F): FieldValues[F] {
  if (!t.undecoded) return fromMaterialized(t, field) as FieldValues[F];
  const u = t.undecoded;
  const buf = u.bytes;
  const { numbers, kind } = VALUE_FIELDS[field];
  if (kind === 'bytes') {
    const out: Uint8Array[] = [];
    forEachOccurrence(u, numbers, (p, end) => void out.push(buf.subarray(p, end)));
    return out as FieldValues[F];
  }
  const n = valueCount(t, field);
  if (kind === 'f32' || kind === 'f64') {
    const size = kind === 'f32' ? 4 : 8;
    const Ctor = kind === 'f32' ? Float32Array : Float64Array;
    let only: [number, number] | undefined;
    let occurrences = 0;
    forEachOccurrence(u, numbers, (p, end) => {
      occurrences++;
      only = [p, end];
    });
    // One packed occurrence whose bytes are aligned: a view, no copy.
    if (occurrences === 1 && only && (buf.byteOffset + only[0]) % size === 0 && only[1] - only[0] === n * size) {
      return new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset + only[0], n) as FieldValues[F];
    }
    const out = new Ctor(n);
    const bytes = new Uint8Array(out.buffer);
    let o = 0;
    forEachOccurrence(u, numbers, (p, end) => {
      bytes.set(buf.subarray(p, end), o);
      o += end - p;
    });
    return out as FieldValues[F];
  }
  const wide = kind === 'i64' || kind === 'u64';
  const out =
    kind === 'i32'
      ? new Int32Array(n)
      : kind === 'u32'
        ? new Uint32Array(n)
        : kind === 'bool'
          ? new Uint8Array(n)
          : kind === 'i64'
            ? new BigInt64Array(n)
            : new BigUint64Array(n);
  // 64-bit values are written as two 32-bit halves (little-endian host), so no BigInt is made per element.
  const halves = wide ? new Uint32Array(out.buffer, out.byteOffset, n * 2) : undefined;
  const narrow = wide ? undefined : (out as Int32Array | Uint32Array | Uint8Array);
  let i = 0;
  forEachOccurrence(u, numbers, (p, end) => {
    while (p < end) {
      p = readVarint(buf, p, end);
      if (halves) {
        halves[2 * i] = varLo;
        halves[2 * i + 1] = varHi;
      } else narrow![i] = kind === 'bool' ? ((varLo | varHi) !== 0 ? 1 : 0) : varLo;
      i++;
    }
  });
  return out as FieldValues[F];
}

function fromMaterialized(t: WireTensor, field: ValueField): FieldValues[ValueField] {
  switch (field) {
    case 'float_val':
      return t.floatVal ?? new Float32Array(0);
    case 'double_val':
      return t.doubleVal ?? new Float64Array(0);
    case 'int_val':
      return t.intVal ?? new Int32Array(0);
    case 'string_val':
      return t.stringVal ?? [];
    case 'int64_val':
      return BigInt64Array.from(t.int64Val ?? []);
    case 'bool_val':
      return Uint8Array.from(t.boolVal ?? [], (b) => (b ? 1 : 0));
    case 'uint32_val':
      return Uint32Array.from(t.uint32Val ?? []);
    case 'uint64_val':
      return BigUint64Array.from(t.uint64Val ?? []);
  }
}

// ---- decoding ----

function lenEnd(r: protobuf.Reader, wt: number, what: string): number {
  if (wt !== WIRE_LEN) throw new WireFormatError(`${what} has the wrong wire type`);
  const end = r.uint32() + r.pos;
  if (end > r.len) throw new WireFormatError(`${what} runs past the end of the message`);
  return end;
}

function decodeShape(r: protobuf.Reader, end: number): number[] | undefined {
  const dims: number[] = [];
  let unknownRank = false;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      if (dims.length === MAX_RANK) throw new WireFormatError(`tensor_shape has more than ${MAX_RANK} dimensions`);
      const dimEnd = lenEnd(r, WIRE_LEN, 'tensor_shape.dim');
      let size = 0;
      while (r.pos < dimEnd) {
        const t = r.uint32();
        if (t >>> 3 === 1 && (t & 7) === WIRE_VARINT) size = toNumber(r.int64());
        else r.skipType(t & 7);
      }
      dims.push(size);
    } else if (tag >>> 3 === 3 && (tag & 7) === WIRE_VARINT) {
      unknownRank = r.bool();
    } else {
      r.skipType(tag & 7);
    }
  }
  return unknownRank ? undefined : dims;
}

/**
 * Reads a TensorProto's dtype, shape and tensor_content; the value fields are only located (t.undecoded), at a cost
 * linear in their bytes and with no allocation per element.
 */
function scanTensor(r: protobuf.Reader, end: number): WireTensor {
  const t: WireTensor = { dtype: 0 };
  const runs: number[] = [];
  let sawShape = false;
  while (r.pos < end) {
    const start = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (VALUE_KIND[field] !== undefined) {
      if (runs.length === 3 * MAX_VALUE_RUNS) {
        throw new WireFormatError(
          `the tensor's value fields are split into more than ${MAX_VALUE_RUNS} runs; write each repeated field in one place`,
        );
      }
      r.pos = skipRun(r.buf, start, r.pos - start, field, wt, end);
      runs.push(field, start, r.pos);
      continue;
    }
    switch (field) {
      case 1:
        if (wt === WIRE_VARINT) t.dtype = r.int32();
        else r.skipType(wt);
        break;
      case 2:
        t.shape = decodeShape(r, lenEnd(r, wt, 'tensor_shape'));
        sawShape = true;
        break;
      case 4: {
        const e = lenEnd(r, wt, 'tensor_content');
        t.tensorContent = r.buf.subarray(r.pos, e);
        r.pos = e;
        break;
      }
      default:
        r.skipType(wt);
    }
  }
  if (r.pos > end) throw new WireFormatError('a tensor field runs past the end of its tensor');
  if (!sawShape) t.shape = undefined;
  if (runs.length) t.undecoded = { bytes: r.buf, runs };
  return t;
}

/** Decodes every value field of a scanned tensor into the *_val members (for trusted or already-bounded bytes). */
function materialize(t: WireTensor): WireTensor {
  if (!t.undecoded) return t;
  const out: WireTensor = { dtype: t.dtype, shape: t.shape };
  if (t.tensorContent) out.tensorContent = t.tensorContent;
  const has = (field: ValueField) =>
    t.undecoded!.runs.some((f, i) => i % 3 === 0 && (VALUE_FIELDS[field].numbers as readonly number[]).includes(f));
  if (has('float_val')) out.floatVal = readValues(t, 'float_val');
  if (has('double_val')) out.doubleVal = readValues(t, 'double_val');
  if (has('int_val')) out.intVal = readValues(t, 'int_val');
  if (has('string_val')) out.stringVal = readValues(t, 'string_val');
  if (has('int64_val')) out.int64Val = Array.from(readValues(t, 'int64_val'));
  if (has('bool_val')) out.boolVal = Array.from(readValues(t, 'bool_val'), (v) => v !== 0);
  if (has('uint32_val')) out.uint32Val = Array.from(readValues(t, 'uint32_val'));
  if (has('uint64_val')) out.uint64Val = Array.from(readValues(t, 'uint64_val'));
  for (const key of Object.keys(out) as (keyof WireTensor)[])
    if (out[key] === undefined && key !== 'shape') delete out[key];
  return out;
}

export function decodeTensor(r: protobuf.Reader, end: number): WireTensor {
  return materialize(scanTensor(r, end));
}

function decodeModelSpec(r: protobuf.Reader, end: number): WireModelSpec {
  const spec: WireModelSpec = { name: '', signatureName: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        spec.name = r.string();
        break;
      case 2: {
        const vEnd = lenEnd(r, tag & 7, 'model_spec.version');
        spec.version = 0;
        while (r.pos < vEnd) {
          const t = r.uint32();
          if (t >>> 3 === 1 && (t & 7) === WIRE_VARINT) spec.version = toNumber(r.int64());
          else r.skipType(t & 7);
        }
        break;
      }
      case 3:
        spec.signatureName = r.string();
        break;
      case 4:
        spec.versionLabel = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return spec;
}

function decodeTensorMapEntry(
  r: protobuf.Reader,
  end: number,
  readTensor: (r: protobuf.Reader, end: number) => WireTensor,
): [string, WireTensor] {
  let key = '';
  let value: WireTensor = { dtype: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) key = r.string();
    else if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) value = readTensor(r, lenEnd(r, WIRE_LEN, 'a tensor'));
    else r.skipType(tag & 7);
  }
  return [key, value];
}

export interface ScanLimits {
  /**
   * Distinct input names kept; entries with further names are skipped unread (a request with more names than the
   * model has inputs names an unknown one among those kept, which is refused anyway).
   */
  maxInputs?: number;
  /** Distinct output_filter names kept, likewise. */
  maxOutputFilter?: number;
}

/**
 * The server's decoder: model_spec, output_filter, and for each input its dtype, shape and tensor_content, with the
 * value fields located but not decoded (valueCount / readValues decode the one field a model input needs). Costs
 * time linear in the bytes and memory independent of how many values they hold. Throws WireFormatError (or
 * protobufjs' RangeError) for bytes that are not a PredictRequest.
 */
export function scanPredictRequest(bytes: Uint8Array, limits: ScanLimits = {}): WirePredictRequest {
  const maxInputs = limits.maxInputs ?? Infinity;
  const maxOutputs = limits.maxOutputFilter ?? Infinity;
  const r = protobuf.Reader.create(bytes);
  const req: WirePredictRequest = { inputs: new Map(), outputFilter: [] };
  const outputs = new Set<string>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        req.modelSpec = decodeModelSpec(r, lenEnd(r, wt, 'model_spec'));
        break;
      case 2: {
        const end = lenEnd(r, wt, 'inputs');
        const [k, v] = decodeTensorMapEntry(r, end, scanTensor);
        if (req.inputs.has(k) || req.inputs.size <= maxInputs) req.inputs.set(k, v);
        break;
      }
      case 3:
        if (wt !== WIRE_LEN) throw new WireFormatError('output_filter has the wrong wire type');
        if (outputs.size <= maxOutputs) outputs.add(r.string());
        else r.skipType(wt);
        break;
      default:
        r.skipType(wt);
    }
  }
  req.outputFilter = [...outputs];
  return req;
}

/** Every field decoded (for tests and trusted bytes; the server uses scanPredictRequest). */
export function decodePredictRequest(bytes: Uint8Array): WirePredictRequest {
  const req = scanPredictRequest(bytes);
  for (const [k, v] of req.inputs) req.inputs.set(k, materialize(v));
  return req;
}

export function decodePredictResponse(bytes: Uint8Array): WirePredictResponse {
  const r = protobuf.Reader.create(bytes);
  const res: WirePredictResponse = { outputs: new Map() };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1 && wt === WIRE_LEN) {
      const [k, v] = decodeTensorMapEntry(r, lenEnd(r, wt, 'outputs'), decodeTensor);
      res.outputs.set(k, v);
    } else if (tag >>> 3 === 2 && wt === WIRE_LEN) {
      res.modelSpec = decodeModelSpec(r, lenEnd(r, wt, 'model_spec'));
    } else r.skipType(wt);
  }
  return res;
}

// ---- encoding ----

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function encodeTensor(w: protobuf.Writer, t: WireTensor): void {
  if (t.dtype) w.uint32((1 << 3) | WIRE_VARINT).int32(t.dtype);
  if (t.shape) {
    w.uint32((2 << 3) | WIRE_LEN).fork();
    for (const d of t.shape) {
      w.uint32((2 << 3) | WIRE_LEN).fork();
      if (d !== 0) w.uint32((1 << 3) | WIRE_VARINT).int64(d);
      w.ldelim();
    }
    w.ldelim();
  }
  if (t.tensorContent && t.tensorContent.length) w.uint32((4 << 3) | WIRE_LEN).bytes(t.tensorContent);
  if (t.floatVal && t.floatVal.length) w.uint32((5 << 3) | WIRE_LEN).bytes(bytesOf(t.floatVal));
  if (t.doubleVal && t.doubleVal.length) w.uint32((6 << 3) | WIRE_LEN).bytes(bytesOf(t.doubleVal));
  if (t.intVal && t.intVal.length) {
    w.uint32((7 << 3) | WIRE_LEN).fork();
    for (const v of t.intVal) w.int32(v);
    w.ldelim();
  }
  if (t.stringVal) for (const s of t.stringVal) w.uint32((8 << 3) | WIRE_LEN).bytes(s);
  if (t.int64Val && t.int64Val.length) {
    w.uint32((10 << 3) | WIRE_LEN).fork();
    for (const v of t.int64Val) w.int64(v.toString());
    w.ldelim();
  }
  if (t.boolVal && t.boolVal.length) {
    w.uint32((11 << 3) | WIRE_LEN).fork();
    for (const v of t.boolVal) w.bool(v);
    w.ldelim();
  }
  if (t.uint32Val && t.uint32Val.length) {
    w.uint32((16 << 3) | WIRE_LEN).fork();
    for (const v of t.uint32Val) w.uint32(v);
    w.ldelim();
  }
  if (t.uint64Val && t.uint64Val.length) {
    w.uint32((17 << 3) | WIRE_LEN).fork();
    for (const v of t.uint64Val) w.uint64(v.toString());
    w.ldelim();
  }
}

function encodeModelSpec(w: protobuf.Writer, spec: WireModelSpec): void {
  if (spec.name) w.uint32((1 << 3) | WIRE_LEN).string(spec.name);
  if (spec.version !== undefined) {
    w.uint32((2 << 3) | WIRE_LEN).fork();
    if (spec.version) w.uint32((1 << 3) | WIRE_VARINT).int64(spec.version);
    w.ldelim();
  }
  if (spec.signatureName) w.uint32((3 << 3) | WIRE_LEN).string(spec.signatureName);
  if (spec.versionLabel !== undefined) w.uint32((4 << 3) | WIRE_LEN).string(spec.versionLabel);
}

function encodeTensorMap(w: protobuf.Writer, field: number, map: Map<string, WireTensor>): void {
  for (const [key, tensor] of map) {
    w.uint32((field << 3) | WIRE_LEN).fork();
    w.uint32((1 << 3) | WIRE_LEN).string(key);
    w.uint32((2 << 3) | WIRE_LEN).fork();
    encodeTensor(w, tensor);
    w.ldelim();
    w.ldelim();
  }
}

export function encodePredictRequest(req: WirePredictRequest): Uint8Array {
  const w = protobuf.Writer.create();
  if (req.modelSpec) {
    w.uint32((1 << 3) | WIRE_LEN).fork();
    encodeModelSpec(w, req.modelSpec);
    w.ldelim();
  }
  encodeTensorMap(w, 2, req.inputs);
  for (const name of req.outputFilter) w.uint32((3 << 3) | WIRE_LEN).string(name);
  return w.finish();
}

export function encodePredictResponse(res: WirePredictResponse): Uint8Array {
  const w = protobuf.Writer.create();
  encodeTensorMap(w, 1, res.outputs);
  if (res.modelSpec) {
    w.uint32((2 << 3) | WIRE_LEN).fork();
    encodeModelSpec(w, res.modelSpec);
    w.ldelim();
  }
  return w.finish();
}
