// Rewrites an int8-quantized ONNX model (QLinear* operators with QuantizeLinear/DequantizeLinear at its edges,
// as the ONNX Model Zoo int8 models are) into the equivalent fp32 graph, so `--dequantize` can retarget it at
// the accelerator's block floating point instead of int8.
//
// Weights and biases become fp32 initializers: w = (q - zero_point) · scale (per tensor or per output channel),
// and a QLinearConv's int32 bias b · x_scale · w_scale. Activations stay fp32 throughout; the activation
// quantize/dequantize steps go away. One thing of the int8 semantics is kept on purpose: every quantized
// activation saturates at the ends of its uint8/int8 range, and that clamp is where the int8 graph keeps its
// ReLU/ReLU6 (they are folded into the output range). So each quantized result becomes
// Clip(fp32 result, (qmin - zp) · scale, (qmax - zp) · scale). Only the rounding to the 8-bit grid is dropped.
// The graph's input and output names stay as they were.
import { AccelError } from '../domain/errors';
import { makeConst, num, toOnnxInitializer } from './constTensor';

const SUPPORTED = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'QLinearAdd',
  'QLinearMul',
  'QLinearGlobalAveragePool',
]);
/** Quantized operators this rewrite does not handle (they fail with a clear message rather than stay int8). */
const UNSUPPORTED = new Set([
  'ConvInteger',
  'MatMulInteger',
  'DynamicQuantizeLinear',
  'QGemm',
  'QLinearConcat',
  'QLinearAveragePool',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'QLinearSoftmax',
  'QAttention',
]);
/** Ops that move quantized values around without changing them: their output keeps the input's quantization. */
const PASS_THROUGH = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'MaxPool']);

const FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6;

export interface DequantizeResult {
  /** How many nodes of each quantized type were rewritten. */
  rewritten: Record<string, number>;
  /** Weights and biases turned into fp32 values. */
  weights: number;
  /** Saturation clamps kept as Clip nodes. */
  clips: number;
}

function numbers(t: any, what: string): ArrayLike<number> {
  const raw: Uint8Array | undefined = t.raw_data;
  if (raw && raw.length > 0) {
    const c = new Uint8Array(raw); // aligned copy
    switch (t.data_type) {
      case FLOAT:
        return new Float32Array(c.buffer, 0, c.byteLength / 4);
      case UINT8:
        return c;
      case INT8:
        return new Int8Array(c.buffer);
      case INT32:
        return new Int32Array(c.buffer, 0, c.byteLength / 4);
    }
  } else if (t.data_type === FLOAT) {
    return Float32Array.from(t.float_data ?? []);
  } else if ([UINT8, INT8, INT32].includes(t.data_type)) {
    return Int32Array.from(t.int32_data ?? []);
  }
  throw new AccelError(
    'InvalidModel',
    `Cannot dequantize: ${what} has ONNX data type ${t.data_type}; expected float, uint8, int8 or int32. Convert without --dequantize.`,
  );
}

function attribute(node: any, name: string): any {
  return (node.attribute ?? []).find((a: any) => a.name === name);
}

export interface DequantizeOptions {
  /**
   * Keep the 8-bit rounding of activations too (QuantizeLinear → DequantizeLinear instead of Clip): fp32 weights
   * with int8-exact activations, which reproduces the int8 model up to accumulation order. Used to check the rewrite.
   */
  activationRounding?: boolean;
}

export function dequantizeModel(model: any, options: DequantizeOptions = {}): DequantizeResult {
  const graph = model.graph;
  const opset = num((model.opset_import ?? []).find((o: any) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (opset < 11)
    throw new AccelError(
      'InvalidModel',
      `Cannot dequantize a model of opset ${opset}: the rewrite needs opset 11 or later (Clip with min/max inputs). Convert without --dequantize.`,
    );
  const inits = new Map<string, any>((graph.initializer ?? []).map((t: any) => [t.name, t]));
  const used = new Set<string>([...inits.keys(), ...(graph.input ?? []).map((i: any) => i.name)]);
  for (const n of graph.node) n.output.forEach((o: string) => used.add(o));
  const fresh = (base: string) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };

  // A quantized activation dequantized by a DequantizeLinear takes that node's output name (keeps `output`).
  const dqAlias = new Map<string, string>();
  for (const n of graph.node)
    if (n.op_type === 'DequantizeLinear' && !inits.has(n.input[0]) && !dqAlias.has(n.input[0]))
      dqAlias.set(n.input[0], n.output[0]);

  /** fp32 tensor name of each quantized activation. */
  const fp = new Map<string, string>();
  const fpName = (q: string) => {
    const alias = dqAlias.get(q);
    const name = alias ?? fresh(q.replace(/_quantized$/, '') || q);
    fp.set(q, name);
    return name;
  };
  const nodes: any[] = [];
  const newInits: any[] = [];
  const result: DequantizeResult = { rewritten: {}, weights: 0, clips: 0 };
  const where = (n: any) => `node "${n.name || n.output[0]}" (${n.op_type})`;

  const initOf = (name: string, n: any) => {
    const t = inits.get(name);
    if (!t)
      throw new AccelError(
        'InvalidModel',
        `Cannot dequantize ${where(n)}: its scale or zero point ${name} is not a constant. Convert without --dequantize.`,
      );
    return t;
  };
  const scalarOf = (name: string, n: any) => numbers(initOf(name, n), name)[0];
  const addFloat = (base: string, dims: number[], values: ArrayLike<number>) => {
    const name = fresh(base);
    newInits.push(toOnnxInitializer(name, makeConst('float32', dims, values)));
    return name;
  };
  /** (q - zp) · scale, with per-tensor or per-`axis` scale and zero point; returns the new initializer's name. */
  const dequantInit = (
    qName: string,
    sName: string,
    zName: string | undefined,
    axis: number,
    n: any,
    base = qName.replace(/_quantized$/, ''),
  ) => {
    const t = initOf(qName, n);
    const dims: number[] = (t.dims ?? []).map(num);
    const q = numbers(t, qName);
    const s = numbers(initOf(sName, n), sName);
    const z = zName ? numbers(initOf(zName, n), zName) : [0];
    const ax = axis < 0 ? dims.length + axis : axis;
    const inner = dims.slice(ax + 1).reduce((a, b) => a * b, 1);
    const len = dims[ax] ?? 1;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) {
      const c = s.length === 1 ? 0 : Math.floor(i / inner) % len;
      out[i] = (q[i] - (z.length === 1 ? z[0] : z[c])) * s[s.length === 1 ? 0 : c];
    }
    result.weights += q.length;
    return addFloat(base, dims, out);
  };
  /** An operand of a QLinear op: an fp32 activation, or a quantized initializer made fp32. */
  const operand = (name: string, sName: string, zName: string, axis: number, n: any) => {
    if (inits.has(name)) return dequantInit(name, sName, zName, axis, n);
    const f = fp.get(name);
    if (f === undefined)
      throw new AccelError(
        'InvalidModel',
        `Cannot dequantize ${where(n)}: its input ${name} is not a quantized tensor the rewrite has seen. Convert without --dequantize.`,
      );
    return f;
  };
  /** Emits the saturation of a quantized result and records its fp32 name. */
  const saturate = (raw: string, qOut: string, sName: string, zName: string | undefined, n: any) => {
    if (options.activationRounding) {
      const q = fresh(`${qOut}_rounded`);
      const zp = zName ? [zName] : [];
      nodes.push({
        name: fresh(`${q}_QuantizeLinear`),
        op_type: 'QuantizeLinear',
        input: [raw, sName, ...zp],
        output: [q],
        attribute: [],
      });
      nodes.push({
        name: fresh(`${q}_DequantizeLinear`),
        op_type: 'DequantizeLinear',
        input: [q, sName, ...zp],
        output: [fpName(qOut)],
        attribute: [],
      });
      return;
    }
    const s = scalarOf(sName, n);
    const zt = zName ? initOf(zName, n) : undefined;
    const z = zt ? numbers(zt, zName!)[0] : 0;
    const [lo, hi] = zt?.data_type === INT8 ? [-128, 127] : [0, 255];
    const out = fpName(qOut);
    const min = addFloat(`${out}_clip_min`, [], [(lo - z) * s]);
    const max = addFloat(`${out}_clip_max`, [], [(hi - z) * s]);
    nodes.push({ name: fresh(`${out}_Clip`), op_type: 'Clip', input: [raw, min, max], output: [out], attribute: [] });
    result.clips++;
  };
  const emit = (n: any, op: string, inputs: string[], attrs: any[] = []) => {
    const raw = fresh(`${n.output[0].replace(/_quantized$/, '')}_${op}`);
    nodes.push({
      name: fresh(`${n.name || n.output[0]}_fp32`),
      op_type: op,
      input: inputs,
      output: [raw],
      attribute: attrs,
    });
    result.rewritten[n.op_type] = (result.rewritten[n.op_type] ?? 0) + 1;
    return raw;
  };

  for (const n of graph.node) {
    const i = n.input as string[];
    switch (n.op_type) {
      case 'QuantizeLinear': {
        if (inits.has(i[0]) || fp.has(i[0]))
          throw new AccelError(
            'InvalidModel',
            `Cannot dequantize ${where(n)}: it quantizes ${i[0]}, which is not an fp32 activation. Convert without --dequantize.`,
          );
        result.rewritten.QuantizeLinear = (result.rewritten.QuantizeLinear ?? 0) + 1;
        saturate(i[0], n.output[0], i[1], i[2], n);
        break;
      }
      case 'DequantizeLinear': {
        result.rewritten.DequantizeLinear = (result.rewritten.DequantizeLinear ?? 0) + 1;
        if (inits.has(i[0])) {
          const axis = num(attribute(n, 'axis')?.i ?? 1);
          const name = dequantInit(i[0], i[1], i[2], axis, n);
          nodes.push({
            name: fresh(`${n.output[0]}_Identity`),
            op_type: 'Identity',
            input: [name],
            output: [n.output[0]],
            attribute: [],
          });
        } else {
          const f = operand(i[0], i[1], i[2], 0, n);
          if (f !== n.output[0])
            nodes.push({
              name: fresh(`${n.output[0]}_Identity`),
              op_type: 'Identity',
              input: [f],
              output: [n.output[0]],
              attribute: [],
            });
        }
        break;
      }
      case 'QLinearConv': {
        const x = operand(i[0], i[1], i[2], 0, n);
        const w = dequantInit(i[3], i[4], i[5], 0, n);
        const inputs = [x, w];
        if (i[8]) {
          const bt = initOf(i[8], n);
          const b = numbers(bt, i[8]);
          const xs = scalarOf(i[1], n);
          const ws = numbers(initOf(i[4], n), i[4]);
          inputs.push(
            addFloat(
              i[8].replace(/_quantized$/, ''),
              [b.length],
              Array.from(b, (v, c) => v * xs * ws[ws.length === 1 ? 0 : c]),
            ),
          );
          result.weights += b.length;
        }
        saturate(emit(n, 'Conv', inputs, n.attribute ?? []), n.output[0], i[6], i[7], n);
        break;
      }
      case 'QLinearMatMul': {
        const a = operand(i[0], i[1], i[2], -1, n);
        const b = operand(i[3], i[4], i[5], -1, n);
        saturate(emit(n, 'MatMul', [a, b]), n.output[0], i[6], i[7], n);
        break;
      }
      case 'QLinearAdd':
      case 'QLinearMul': {
        const a = operand(i[0], i[1], i[2], 0, n);
        const b = operand(i[3], i[4], i[5], 0, n);
        saturate(emit(n, n.op_type === 'QLinearAdd' ? 'Add' : 'Mul', [a, b]), n.output[0], i[6], i[7], n);
        break;
      }
      case 'QLinearGlobalAveragePool': {
        if (num(attribute(n, 'channels_last')?.i ?? 0) !== 0)
          throw new AccelError(
            'InvalidModel',
            `Cannot dequantize ${where(n)}: channels_last=1 is not supported. Convert without --dequantize.`,
          );
        saturate(emit(n, 'GlobalAveragePool', [operand(i[0], i[1], i[2], 0, n)]), n.output[0], i[3], i[4], n);
        break;
      }
      default: {
        if (UNSUPPORTED.has(n.op_type) || (n.op_type.startsWith('QLinear') && !SUPPORTED.has(n.op_type))) {
          throw new AccelError(
            'InvalidModel',
            `Cannot dequantize ${where(n)}: the rewrite handles ${[...SUPPORTED].join(', ')}. Convert without --dequantize to keep the model as it is.`,
          );
        }
        if (PASS_THROUGH.has(n.op_type) && fp.has(i[0])) {
          nodes.push({ ...n, input: [fp.get(i[0])!, ...i.slice(1)], output: [fpName(n.output[0])] });
          break;
        }
        const quantizedIn = i.find((t) => fp.has(t));
        if (quantizedIn)
          throw new AccelError(
            'InvalidModel',
            `Cannot dequantize ${where(n)}: it reads the quantized tensor ${quantizedIn} directly. Convert without --dequantize.`,
          );
        nodes.push(n);
      }
    }
  }

  const referenced = new Set<string>(nodes.flatMap((n) => n.input));
  graph.node = nodes;
  graph.initializer = [...(graph.initializer ?? []).filter((t: any) => referenced.has(t.name)), ...newInits];
  graph.input = (graph.input ?? []).filter((vi: any) => !inits.has(vi.name) || referenced.has(vi.name));
  graph.value_info = []; // their types described the int8 tensors
  return result;
}
