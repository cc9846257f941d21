// Builds TensorFlow GraphDef protos in tests: our own code writing the same messages a TF1 freeze produces
// (Const nodes with tensor_content, NHWC attrs, TF-slim style scoped names).
import { encodeGraphDef, type GraphDef, type GraphNode } from '../../src/convert/graphDef';

export const DT = { float: 1, int32: 3, uint8: 4, string: 7, int64: 9, bool: 10 } as const;
export type DTName = keyof typeof DT;

/** AttrValue builders. */
export const a = {
  i: (v: number) => ({ i: v }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  s: (v: string) => ({ s: Buffer.from(v, 'utf8') }),
  type: (t: DTName) => ({ type: DT[t] }),
  ints: (v: number[]) => ({ list: { i: v } }),
  shape: (dims: number[] | null) => ({
    shape: dims === null ? { unknown_rank: true } : { dim: dims.map((size) => ({ size })) },
  }),
};

function tensorProto(dtype: DTName, dims: number[], values: ArrayLike<number>): object {
  const n = dims.reduce((p, d) => p * d, 1);
  if (values.length !== n) throw new Error(`const: ${values.length} values for shape [${dims}]`);
  let content: Buffer;
  switch (dtype) {
    case 'float':
      content = Buffer.from(Float32Array.from(values).buffer);
      break;
    case 'int32':
      content = Buffer.from(Int32Array.from(values).buffer);
      break;
    case 'int64':
      content = Buffer.from(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
      break;
    default:
      content = Buffer.from(Uint8Array.from(values));
  }
  return { dtype: DT[dtype], tensor_shape: { dim: dims.map((size) => ({ size })) }, tensor_content: content };
}

export class GraphDefWriter {
  readonly nodes: GraphNode[] = [];

  /** Adds a node; returns its output tensor reference (`name`, i.e. output 0). */
  op(op: string, name: string, inputs: string[] = [], attr: Record<string, object> = {}): string {
    if (this.nodes.some((n) => n.name === name)) throw new Error(`duplicate node ${name}`);
    this.nodes.push({ name, op, input: inputs, attr });
    return name;
  }

  placeholder(name: string, shape: number[] | null, dtype: DTName = 'float'): string {
    return this.op('Placeholder', name, [], { dtype: a.type(dtype), shape: a.shape(shape) });
  }

  const(name: string, dims: number[], values: ArrayLike<number>, dtype: DTName = 'float'): string {
    return this.op('Const', name, [], { dtype: a.type(dtype), value: { tensor: tensorProto(dtype, dims, values) } });
  }

  /** A float constant filled with a deterministic pseudo-random sequence (scaled like He init). */
  randomConst(name: string, dims: number[], rng: () => number, scale?: number): string {
    const n = dims.reduce((p, d) => p * d, 1);
    const fanIn = dims.length >= 2 ? dims.slice(0, -1).reduce((p, d) => p * d, 1) : 1;
    const s = scale ?? Math.sqrt(2 / fanIn);
    return this.const(
      name,
      dims,
      Array.from({ length: n }, () => (rng() * 2 - 1) * s),
    );
  }

  graph(): GraphDef {
    return { node: this.nodes, versions: { producer: 27 } };
  }

  encode(): Uint8Array {
    return encodeGraphDef(this.graph());
  }
}

export { rng } from './random';
