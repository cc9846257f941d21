// Pooling and spatial reductions.
import { attr } from '../onnxBuilder';
import { attrs, type TfNode } from '../tfGraph';
import { NHWC_TO_NCHW_AXIS, unsupported, type TfConverter } from '../tfToOnnx';
import { reduce } from '../constantFolding';
import { requireNhwc, spatialAttrs } from './conv';

function pool(onnxOp: 'MaxPool' | 'AveragePool') {
  return (cx: TfConverter, node: TfNode): void => {
    requireNhwc(node);
    const [x] = cx.inputValues(node);
    const k = attrs.ints(node, 'ksize');
    if (k[0] !== 1 || k[3] !== 1) throw unsupported(node, `it pools over the batch or channel axis (ksize [${k}])`);
    const { h, w, a, autoPad } = spatialAttrs(node, x, k[1], k[2]);
    const out = cx.out(node);
    // TF's AvgPool divides by the number of real (unpadded) pixels: ONNX count_include_pad=0, the default.
    cx.emit(onnxOp, [cx.use(x, 'nchw')], [out], { ...a, ...(autoPad ? { auto_pad: attr.string('SAME_UPPER') } : {}) });
    cx.define(out, { name: out, dtype: x.dtype, shape: [x.shape![0], h.out, w.out, x.shape![3]], layout: 'nchw' });
  };
}

function mean(cx: TfConverter, node: TfNode): void {
  const [x] = cx.inputValues(node);
  const axesConst = cx.constInput(node, 1, 'reduction axes');
  const keep = attrs.bool(node, 'keep_dims', attrs.bool(node, 'keepdims', false));
  const out = cx.out(node);
  if (x.konst) {
    cx.defineConst(out, reduce(x.konst, Array.from(axesConst.data), keep, 'mean'));
    return;
  }
  if (!x.shape) throw unsupported(node, 'its input has an unknown rank');
  const rank = x.shape.length;
  const axes = [...new Set(Array.from(axesConst.data, (a) => (a < 0 ? a + rank : a)))].sort();
  const outShape = keep
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  let layout = x.layout;
  let physAxes = axes;
  if (x.layout === 'nchw') {
    physAxes = axes.map((a) => NHWC_TO_NCHW_AXIS[a]).sort();
    // Without keep_dims the surviving axes must come out in logical order, or we reduce in NHWC instead.
    const survivors = [0, 1, 2, 3].filter((a) => !axes.includes(a));
    const physOrder = [...survivors].sort((p, q) => NHWC_TO_NCHW_AXIS[p] - NHWC_TO_NCHW_AXIS[q]);
    if (keep) layout = 'nchw';
    else if (physOrder.every((a, i) => a === survivors[i])) layout = 'plain';
    else {
      physAxes = axes;
      layout = 'plain';
    }
  }
  const input = x.layout === 'nchw' && physAxes === axes ? cx.use(x, 'plain') : cx.use(x);
  const global = layout === 'nchw' && keep && physAxes.join() === '2,3';
  if (global) cx.emit('GlobalAveragePool', [input], [out]);
  else cx.emit('ReduceMean', [input], [out], { axes: attr.ints(physAxes), keepdims: attr.int(keep ? 1 : 0) });
  cx.define(out, { name: out, dtype: x.dtype, shape: outShape, layout: keep ? x.layout : layout });
}

export const POOL_HANDLERS: Record<string, (cx: TfConverter, node: TfNode) => void> = {
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  Mean: mean,
};
