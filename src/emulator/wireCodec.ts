// Hand-written protobuf codec for the hot messages (PredictRequest, PredictResponse, TensorProto), wire-compatible
// with protos/tensorflow_serving/apis/predict.proto. Why by hand: protobufjs decodes `repeated float float_val`
// element by element (several ms for one 224×224×3 tensor, see performance.md §6.3); packed floats are one
// memcpy here, so float_val and tensor_content cost the same on both sides of the wire.
import * as protobuf from 'protobufjs';

/** TensorFlow DataType enum values (protos/tensorflow/core/framework/types.proto). */
export const DT = {
  INVALID: 0, FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10,
  UINT16: 17, HALF: 19, UINT32: 22, UINT64: 23,
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
  return typeof v === 'number' ? v : Number(toBigInt(v, v.unsigned));
}

function toBigInt(v: number | LongLike, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return unsigned ? u : BigInt.asIntN(64, u);
}

/** Copies little-endian packed bytes into an aligned typed array (the host is little-endian: x64/arm64). */
function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

function concatFloat32(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reads a repeated scalar field that may arrive packed (LEN) or unpacked (one value per tag). */
function readRepeated<T>(r: protobuf.Reader, wireType: number, one: () => T, out: T[]): void {
  if (wireType === WIRE_LEN) {
    const end = r.uint32() + r.pos;
    if (end > r.len) throw new WireFormatError('packed field runs past the end of the message');
    while (r.pos < end) out.push(one());
  } else {
    out.push(one());
  }
}

function decodeShape(r: protobuf.Reader, end: number): number[] | undefined {
  const dims: number[] = [];
  let unknownRank = false;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      const dimEnd = r.uint32() + r.pos;
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

export function decodeTensor(r: protobuf.Reader, end: number): WireTensor {
  const t: WireTensor = { dtype: 0 };
  const floats: Float32Array[] = [];
  const looseFloats: number[] = [];
  const doubles: number[] = [];
  const ints: number[] = [];
  const int64s: bigint[] = [];
  const uint32s: number[] = [];
  const uint64s: bigint[] = [];
  const bools: boolean[] = [];
  const strings: Uint8Array[] = [];
  let sawShape = false;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    switch (field) {
      case 1:
        t.dtype = r.int32();
        break;
      case 2: {
        const shapeEnd = r.uint32() + r.pos;
        t.shape = decodeShape(r, shapeEnd);
        sawShape = true;
        break;
      }
      case 4:
        t.tensorContent = r.bytes();
        break;
      case 5:
        if (wt === WIRE_LEN) {
          const bytes = r.bytes();
          if (bytes.length % 4 !== 0) throw new WireFormatError('float_val holds a partial float');
          floats.push(bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) : new Float32Array(alignedCopy(bytes)));
        } else {
          looseFloats.push(r.float());
        }
        break;
      case 6:
        readRepeated(r, wt, () => r.double(), doubles);
        break;
      case 7:
      case 13:
        readRepeated(r, wt, () => r.int32(), ints);
        break;
      case 8:
        strings.push(r.bytes());
        break;
      case 10:
        readRepeated(r, wt, () => toBigInt(r.int64(), false), int64s);
        break;
      case 11:
        readRepeated(r, wt, () => r.bool(), bools);
        break;
      case 16:
        readRepeated(r, wt, () => r.uint32(), uint32s);
        break;
      case 17:
        readRepeated(r, wt, () => toBigInt(r.uint64(), true), uint64s);
        break;
      default:
        r.skipType(wt);
    }
  }
  if (!sawShape) t.shape = undefined;
  if (looseFloats.length) floats.push(Float32Array.from(looseFloats));
  if (floats.length) t.floatVal = concatFloat32(floats);
  if (doubles.length) t.doubleVal = Float64Array.from(doubles);
  if (ints.length) t.intVal = Int32Array.from(ints);
  if (int64s.length) t.int64Val = int64s;
  if (uint32s.length) t.uint32Val = uint32s;
  if (uint64s.length) t.uint64Val = uint64s;
  if (bools.length) t.boolVal = bools;
  if (strings.length) t.stringVal = strings;
  return t;
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
        const vEnd = r.uint32() + r.pos;
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

function decodeTensorMapEntry(r: protobuf.Reader, end: number): [string, WireTensor] {
  let key = '';
  let value: WireTensor = { dtype: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) key = r.string();
    else if (tag >>> 3 === 2 && (tag & 7) === WIRE_LEN) {
      const vEnd = r.uint32() + r.pos;
      value = decodeTensor(r, vEnd);
    } else r.skipType(tag & 7);
  }
  return [key, value];
}

function lenEnd(r: protobuf.Reader): number {
  const end = r.uint32() + r.pos;
  if (end > r.len) throw new WireFormatError('a length-delimited field runs past the end of the message');
  return end;
}

/** Throws WireFormatError (or protobufjs' RangeError) for bytes that are not a PredictRequest. */
export function decodePredictRequest(bytes: Uint8Array): WirePredictRequest {
  const r = protobuf.Reader.create(bytes);
  const req: WirePredictRequest = { inputs: new Map(), outputFilter: [] };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wt !== WIRE_LEN) throw new WireFormatError('model_spec has the wrong wire type');
        req.modelSpec = decodeModelSpec(r, lenEnd(r));
        break;
      case 2: {
        if (wt !== WIRE_LEN) throw new WireFormatError('inputs has the wrong wire type');
        const [k, v] = decodeTensorMapEntry(r, lenEnd(r));
        req.inputs.set(k, v);
        break;
      }
      case 3:
        if (wt !== WIRE_LEN) throw new WireFormatError('output_filter has the wrong wire type');
        req.outputFilter.push(r.string());
        break;
      default:
        r.skipType(wt);
    }
  }
  return req;
}

export function decodePredictResponse(bytes: Uint8Array): WirePredictResponse {
  const r = protobuf.Reader.create(bytes);
  const res: WirePredictResponse = { outputs: new Map() };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const wt = tag & 7;
    if (tag >>> 3 === 1 && wt === WIRE_LEN) {
      const [k, v] = decodeTensorMapEntry(r, lenEnd(r));
      res.outputs.set(k, v);
    } else if (tag >>> 3 === 2 && wt === WIRE_LEN) {
      res.modelSpec = decodeModelSpec(r, lenEnd(r));
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
