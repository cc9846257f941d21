// Shape manipulation. Shape arithmetic on constants (the Shape → StridedSlice → Pack → Reshape chains
// SSD-style heads carry) is folded; a dynamic batch dimension folds to -1, which Reshape accepts.
import { fromTfTensor, makeConst, TF_DTYPE, transposeConst, type ConstDType, type ConstTensor } from '../constTensor';
import * as fold from '../constantFolding';
import { attr } from '../onnxBuilder';
import { attrs, type TfNode } from '../tfGraph';
import { NHWC_TO_NCHW_AXIS, unsupported, type TfConverter, type Value } from '../tfToOnnx';

function int64(values: number[]): ConstTensor {
  return makeConst('int64', [values.length], values);
}

function dtypeAttr(node: TfNode, key: string, fallback: ConstDType): ConstDType {
  const t = attrs.type(node, key);
  const d = t === undefined ? fallback : TF_DTYPE[t];
  if (!d || d === 'float64') return 'float32';
  return d;
}

function constOnly(
  name: string,
  f: (cx: TfConverter, node: TfNode, inputs: ConstTensor[]) => ConstTensor | ConstTensor[],
) {
  return (cx: TfConverter, node: TfNode): void => {
    const vals = cx.inputValues(node);
    const inputs = vals.map((v, i) => {
      if (!v.konst)
        throw unsupported(node, `${name} is supported on constants only, and input ${i} is computed at run time`);
      return v.konst;
    });
    const r = f(cx, node, inputs);
    (Array.isArray(r) ? r : [r]).forEach((t, i) => cx.defineConst(cx.out(node, i), t));
    cx.foldedNodes++;
  };
}

/** Axes that squeeze/reshape keep, and whether an NCHW tensor keeps logical order after dropping `drop`. */
function nchwKeepsOrder(drop: number[]): boolean {
  const survivors = [0, 1, 2, 3].filter((a) => !drop.includes(a));
  const phys = [...survivors].sort((p, q) => NHWC_TO_NCHW_AXIS[p] - NHWC_TO_NCHW_AXIS[q]);
  return phys.every((a, i) => a === survivors[i]);
}

function reshape(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const target = Array.from(cx.constInput(node, 1, 'target shape').data);
  const out = cx.out(node);
  if (x.konst) {
    cx.defineConst(out, fold.reshape(x.konst, target));
    return;
  }
  cx.emit('Reshape', [cx.use(x, 'plain'), cx.initializer(`${node.name}/shape`, int64(target))], [out]);
  cx.define(out, { name: out, dtype: x.dtype, shape: fold.resolveReshape(x.shape, target), layout: 'plain' });
}

function squeeze(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const out = cx.out(node);
  if (!x.shape) throw unsupported(node, 'its input has an unknown rank');
  const rank = x.shape.length;
  let axes = attrs.ints(node, 'squeeze_dims', attrs.ints(node, 'axis', [])).map((a) => (a < 0 ? a + rank : a));
  if (axes.length === 0) axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  if (x.konst) {
    cx.defineConst(out, { ...x.konst, dims: shape });
    return;
  }
  const nchw = x.layout === 'nchw' && nchwKeepsOrder(axes);
  const input = nchw ? cx.use(x) : cx.use(x, 'plain');
  const phys = nchw ? axes.map((a) => NHWC_TO_NCHW_AXIS[a]).sort() : axes;
  cx.emit('Squeeze', [input, cx.initializer(`${node.name}/axes`, int64(phys))], [out]);
  cx.define(out, { name: out, dtype: x.dtype, shape, layout: 'plain' });
}

function expandDims(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const axisRaw = cx.constInput(node, 1, 'axis').data[0];
  const out = cx.out(node);
  const rank = (x.shape?.length ?? 0) + 1;
  const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
  const shape = x.shape ? [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] : null;
  if (x.konst) {
    cx.defineConst(out, { ...x.konst, dims: shape! });
    return;
  }
  cx.emit('Unsqueeze', [cx.use(x, 'plain'), cx.initializer(`${node.name}/axes`, int64([axis]))], [out]);
  cx.define(out, { name: out, dtype: x.dtype, shape, layout: 'plain' });
}

function shapeOf(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  if (!x.shape) throw unsupported(node, 'the shape of its input is unknown');
  if (x.shape.filter((d) => d < 0).length > 1)
    throw unsupported(node, `the shape of its input [${x.shape}] has more than one dynamic dimension`);
  cx.defineConst(cx.out(node), makeConst(dtypeAttr(node, 'out_type', 'int32'), [x.shape.length], x.shape));
  cx.foldedNodes++;
}

function concat(cx: TfConverter, node: TfNode): void {
  const vals = cx.inputValues(node);
  const axisV = vals.pop()!;
  if (!axisV.konst) throw unsupported(node, 'its axis is computed at run time');
  const out = cx.out(node);
  const rank = vals[0].shape?.length ?? 0;
  const axis = axisV.konst.data[0] < 0 ? axisV.konst.data[0] + rank : axisV.konst.data[0];
  if (vals.every((v) => v.konst)) {
    cx.defineConst(
      out,
      fold.concat(
        vals.map((v) => v.konst!),
        axis,
      ),
    );
    cx.foldedNodes++;
    return;
  }
  const nchw = rank === 4 && vals.some((v) => v.layout === 'nchw');
  const inputs = vals.map((v) =>
    v.konst
      ? cx.initializer(`${node.name}/part`, nchw ? transposeConst(v.konst, [0, 3, 1, 2]) : v.konst)
      : cx.use(v, nchw ? 'nchw' : 'plain'),
  );
  cx.emit('Concat', inputs, [out], { axis: attr.int(nchw ? NHWC_TO_NCHW_AXIS[axis] : axis) });
  const shape = vals.every((v) => v.shape)
    ? vals[0].shape!.map((d, i) =>
        i === axis ? (vals.some((v) => v.shape![i] < 0) ? -1 : vals.reduce((s, v) => s + v.shape![i], 0)) : d,
      )
    : null;
  cx.define(out, { name: out, dtype: vals[0].dtype, shape, layout: nchw ? 'nchw' : 'plain' });
}

function pad(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const p = cx.constInput(node, 1, 'paddings');
  const value = node.op === 'PadV2' ? cx.constInput(node, 2, 'constant value').data[0] : 0;
  const rank = p.dims[0];
  const before = Array.from({ length: rank }, (_, i) => p.data[2 * i]);
  const after = Array.from({ length: rank }, (_, i) => p.data[2 * i + 1]);
  const out = cx.out(node);
  const nchw = x.layout === 'nchw';
  const order = nchw ? [0, 3, 1, 2] : [...Array(rank).keys()]; // physical axis → logical axis
  const pads = [...order.map((a) => before[a]), ...order.map((a) => after[a])];
  const inputs = [cx.use(x), cx.initializer(`${node.name}/pads`, int64(pads))];
  if (value !== 0) inputs.push(cx.initializer(`${node.name}/value`, makeConst('float32', [], [value])));
  cx.emit('Pad', inputs, [out], { mode: attr.string('constant') });
  const shape = x.shape ? x.shape.map((d, i) => (d < 0 ? -1 : d + before[i] + after[i])) : null;
  cx.define(out, { name: out, dtype: x.dtype, shape, layout: x.layout });
}

function matmul(cx: TfConverter, node: TfNode): void {
  const [a, b] = cx.inputValues(node);
  const out = cx.out(node);
  if (attrs.bool(node, 'transpose_a', false)) throw unsupported(node, 'transpose_a=true is not supported');
  const tb = attrs.bool(node, 'transpose_b', false);
  if (a.shape?.length !== 2)
    throw unsupported(node, `its first input must be 2-D (shape ${a.shape ? `[${a.shape}]` : 'unknown'})`);
  let bName: string;
  let n: number;
  if (b.konst) {
    const w = tb ? transposeConst(b.konst, [1, 0]) : b.konst; // ONNX MatMul weights as [K, N]
    bName = cx.initializer(`${node.name}/weights`, w);
    n = w.dims[1];
  } else {
    bName = cx.use(b, 'plain');
    if (tb) {
      const t = cx.b.fresh(`${node.name}/b_transposed`);
      cx.emit('Transpose', [bName], [t], { perm: attr.ints([1, 0]) });
      bName = t;
    }
    n = b.shape ? b.shape[tb ? 0 : 1] : -1;
  }
  cx.emit('MatMul', [cx.use(a, 'plain'), bName], [out]);
  cx.define(out, { name: out, dtype: 'float32', shape: [a.shape[0], n], layout: 'plain' });
}

function cast(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const to = dtypeAttr(node, 'DstT', 'float32');
  const out = cx.out(node);
  if (x.konst) {
    cx.defineConst(out, fold.cast(x.konst, to));
    return;
  }
  const onnx: Record<string, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
  cx.emit('Cast', [cx.use(x)], [out], { to: attr.int(onnx[to]) });
  cx.define(out, { ...x, name: out, dtype: to } as Value);
}

const masks = (node: TfNode): fold.StridedSliceMasks => ({
  begin: attrs.int(node, 'begin_mask', 0),
  end: attrs.int(node, 'end_mask', 0),
  shrink: attrs.int(node, 'shrink_axis_mask', 0),
  ellipsis: attrs.int(node, 'ellipsis_mask', 0),
  newAxis: attrs.int(node, 'new_axis_mask', 0),
});

const arr = (t: ConstTensor) => Array.from(t.data);

export const SHAPE_HANDLERS: Record<string, (cx: TfConverter, node: TfNode) => void> = {
  Const: (cx, node) => cx.defineConst(cx.out(node), fromTfTensor(attrs.tensor(node, 'value'), `"${node.name}"`)),
  NoOp: () => {},
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  Shape: shapeOf,
  ConcatV2: concat,
  Pad: pad,
  PadV2: pad,
  MatMul: matmul,
  Cast: cast,
  StridedSlice: constOnly('StridedSlice', (_cx, node, [t, b, e, s]) =>
    fold.stridedSlice(t, arr(b), arr(e), arr(s), masks(node)),
  ),
  Slice: constOnly('Slice', (_cx, _node, [t, b, s]) => fold.slice(t, arr(b), arr(s))),
  Pack: constOnly('Pack', (_cx, node, ts) => fold.pack(ts, attrs.int(node, 'axis', 0))),
  Unpack: constOnly('Unpack', (_cx, node, [t]) => fold.unpack(t, attrs.int(node, 'axis', 0))),
  Fill: constOnly('Fill', (_cx, _node, [dims, v]) => fold.fill(arr(dims), v.data[0], v.dtype)),
  Range: constOnly('Range', (_cx, _node, [s, l, d]) => fold.range(s.data[0], l.data[0], d.data[0], s.dtype)),
  Prod: constOnly('Prod', (_cx, node, [t, ax]) =>
    fold.reduce(t, arr(ax), attrs.bool(node, 'keep_dims', false), 'prod'),
  ),
  Transpose: constOnly('Transpose', (_cx, _node, [t, p]) => transposeConst(t, arr(p))),
};
