// Elementwise ops. They follow their inputs' layout: a constant operand is reshaped for NCHW once here.
import { broadcastDims, foldBinary, makeConst, transposeConst, type ConstTensor } from '../constTensor';
import { BINARY } from '../constantFolding';
import { attr } from '../onnxBuilder';
import type { TfNode } from '../tfGraph';
import type { Layout, TfConverter, Value } from '../tfToOnnx';
import { foldIntoConv } from './conv';

const ONNX_BINARY: Record<string, string> = {
  Add: 'Add',
  AddV2: 'Add',
  BiasAdd: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
};

/** A constant broadcast against an NHWC tensor, rewritten to broadcast against the same tensor in NCHW. */
function constForNchw(c: ConstTensor): ConstTensor {
  if (c.dims.length === 0 || c.dims.every((d) => d === 1)) return c;
  const padded = { ...c, dims: [...new Array(4 - c.dims.length).fill(1), ...c.dims] };
  return transposeConst(padded, [0, 3, 1, 2]);
}

function binary(cx: TfConverter, node: TfNode): void {
  const [a, b] = cx.inputValues(node);
  const out = cx.out(node);
  if (a.konst && b.konst) {
    cx.defineConst(out, foldBinary(a.konst, b.konst, BINARY[node.op === 'BiasAdd' ? 'Add' : node.op]));
    cx.foldedNodes++;
    return;
  }
  // x + per-channel bias, x * per-channel scale right after a convolution: fold into it.
  const vec = b.konst && !a.konst ? b.konst : undefined;
  if (vec && vec.dims.length <= 1 && a.layout === 'nchw') {
    if (
      (node.op === 'BiasAdd' || node.op === 'Add' || node.op === 'AddV2') &&
      foldIntoConv(cx, node, a, null, vec.data)
    )
      return;
    if (node.op === 'Mul' && foldIntoConv(cx, node, a, vec.data, null)) return;
    if (
      node.op === 'Sub' &&
      foldIntoConv(
        cx,
        node,
        a,
        null,
        Array.from(vec.data, (v) => -v),
      )
    )
      return;
  }
  const shape = a.shape && b.shape ? broadcastDims(a.shape, b.shape) : null;
  const dynamic = [a, b].filter((v) => !v.konst);
  const wantNchw =
    shape?.length === 4 && dynamic.some((v) => v.layout === 'nchw') && dynamic.every((v) => v.shape?.length === 4);
  const layout: Layout = wantNchw ? 'nchw' : 'plain';
  const operand = (v: Value): string => {
    if (!v.konst) return cx.use(v, layout);
    return cx.initializer(`${node.name}/operand`, layout === 'nchw' ? constForNchw(v.konst) : v.konst);
  };
  cx.emit(ONNX_BINARY[node.op], [operand(a), operand(b)], [out]);
  cx.define(out, { name: out, dtype: a.konst ? b.dtype : a.dtype, shape, layout });
}

function unary(onnxOp: string, extra?: (cx: TfConverter, node: TfNode) => string[]) {
  return (cx: TfConverter, node: TfNode): void => {
    const [x] = cx.inputValues(node);
    const out = cx.out(node);
    cx.emit(onnxOp, [cx.use(x), ...(extra ? extra(cx, node) : [])], [out]);
    cx.define(out, { ...x, name: out, konst: undefined });
  };
}

function alias(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  cx.define(cx.out(node), x);
}

function softmax(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const out = cx.out(node);
  const nchw = x.layout === 'nchw';
  cx.emit('Softmax', [cx.use(x)], [out], { axis: attr.int(nchw ? 1 : -1) });
  cx.define(out, { ...x, name: out });
}

const scalar = (v: number) => makeConst('float32', [], [v]);

export const ELEMENTWISE_HANDLERS: Record<string, (cx: TfConverter, node: TfNode) => void> = {
  ...Object.fromEntries(Object.keys(ONNX_BINARY).map((op) => [op, binary])),
  Relu: unary('Relu'),
  Relu6: unary('Clip', (cx, node) => [
    cx.initializer(`${node.name}/min`, scalar(0)),
    cx.initializer(`${node.name}/max`, scalar(6)),
  ]),
  Sigmoid: unary('Sigmoid'),
  Tanh: unary('Tanh'),
  Identity: alias,
  StopGradient: alias,
  PlaceholderWithDefault: alias,
  Softmax: softmax,
};
