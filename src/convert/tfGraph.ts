// Views over a decoded TF GraphDef (protobufjs message objects, keepCase): tensor-name parsing, node
// attributes, the consumer map. The converter and the preprocessing cut both read graphs through these.
import { num } from './constTensor';

export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, any>;
}

export interface TfGraph {
  node: TfNode[];
}

/** "name", "name:0", "^name" → { node, index }; control inputs have control=true. */
export function parseTensorName(ref: string): { node: string; index: number; control: boolean } {
  const control = ref.startsWith('^');
  const s = control ? ref.slice(1) : ref;
  const m = /^(.*):(\d+)$/.exec(s);
  return m ? { node: m[1], index: Number(m[2]), control } : { node: s, index: 0, control };
}

/** Canonical tensor name `node:index`. */
export function tensorName(ref: string): string {
  const p = parseTensorName(ref);
  return `${p.node}:${p.index}`;
}

export function dataInputs(node: TfNode): string[] {
  return (node.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
}

export const attrs = {
  int(node: TfNode, key: string, fallback?: number): number {
    const a = node.attr?.[key];
    if (a?.i === undefined || a?.i === null) {
      if (fallback === undefined) throw new Error(`attribute "${key}" missing`);
      return fallback;
    }
    return num(a.i);
  },
  ints(node: TfNode, key: string, fallback?: number[]): number[] {
    const a = node.attr?.[key];
    const list = a?.list?.i;
    if (!list || list.length === 0) {
      if (fallback === undefined) throw new Error(`attribute "${key}" missing`);
      return fallback;
    }
    return list.map(num);
  },
  string(node: TfNode, key: string, fallback?: string): string {
    const a = node.attr?.[key];
    if (!a?.s || a.s.length === 0) {
      if (fallback === undefined) throw new Error(`attribute "${key}" missing`);
      return fallback;
    }
    return Buffer.from(a.s).toString('utf8');
  },
  float(node: TfNode, key: string, fallback: number): number {
    const a = node.attr?.[key];
    return typeof a?.f === 'number' ? a.f : fallback;
  },
  bool(node: TfNode, key: string, fallback: boolean): boolean {
    const a = node.attr?.[key];
    return typeof a?.b === 'boolean' ? a.b : fallback;
  },
  type(node: TfNode, key: string): number | undefined {
    const a = node.attr?.[key];
    return a?.type === undefined || a?.type === null ? undefined : num(a.type);
  },
  /** Shape attribute: dims (-1 = unknown), or null when the rank is unknown. */
  shape(node: TfNode, key: string): number[] | null {
    const a = node.attr?.[key]?.shape;
    if (!a || a.unknown_rank) return null;
    return (a.dim ?? []).map((d: any) => num(d.size));
  },
  tensor(node: TfNode, key: string): any {
    return node.attr?.[key]?.tensor;
  },
};

export function nodeMap(graph: TfGraph): Map<string, TfNode> {
  return new Map(graph.node.map((n) => [n.name, n]));
}

/** tensor name → names of nodes that read it (data inputs only). */
export function consumerMap(graph: TfGraph): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of graph.node) {
    for (const t of dataInputs(n)) {
      const list = out.get(t) ?? [];
      list.push(n.name);
      out.set(t, list);
    }
  }
  return out;
}
