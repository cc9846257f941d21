// Convolutions, bias and batch norm. TF filters are HWIO (Conv2D) / HWIM (depthwise); ONNX wants OIHW,
// so weights are transposed once here. BiasAdd and FusedBatchNorm that directly follow a convolution
// (and nothing else reads the convolution) are folded into its weights and bias.
import { makeConst, transposeConst, type ConstTensor } from '../constTensor';
import { attr } from '../onnxBuilder';
import { attrs, dataInputs, type TfNode } from '../tfGraph';
import { unsupported, type TfConverter, type Value } from '../tfToOnnx';

export interface Window {
  out: number;
  before: number;
  after: number;
}

/** TF output size and padding along one spatial axis (SAME pads the extra pixel at the end, as ONNX SAME_UPPER). */
export function window(
  size: number,
  k: number,
  stride: number,
  dilation: number,
  padding: string,
  explicit?: [number, number],
): Window {
  const span = (k - 1) * dilation + 1;
  if (size < 0) return { out: -1, before: 0, after: 0 };
  if (padding === 'VALID') return { out: Math.ceil((size - span + 1) / stride), before: 0, after: 0 };
  if (padding === 'EXPLICIT' && explicit) {
    return {
      out: Math.floor((size + explicit[0] + explicit[1] - span) / stride) + 1,
      before: explicit[0],
      after: explicit[1],
    };
  }
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + span - size, 0);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

export function requireNhwc(node: TfNode): void {
  const fmt = attrs.string(node, 'data_format', 'NHWC');
  if (fmt !== 'NHWC')
    throw unsupported(node, `data_format ${fmt} is not supported (only NHWC, the TF default for CPU-exported graphs)`);
}

export function spatialAttrs(
  node: TfNode,
  x: Value,
  kh: number,
  kw: number,
): { h: Window; w: Window; a: Record<string, ReturnType<typeof attr.ints>>; autoPad: boolean } {
  const strides = attrs.ints(node, 'strides', [1, 1, 1, 1]);
  const dil = attrs.ints(node, 'dilations', [1, 1, 1, 1]);
  const padding = attrs.string(node, 'padding', 'VALID');
  const ex = padding === 'EXPLICIT' ? attrs.ints(node, 'explicit_paddings') : undefined;
  if (!x.shape || x.shape.length !== 4)
    throw unsupported(node, `its input must be a rank-4 NHWC tensor (shape ${x.shape ? `[${x.shape}]` : 'unknown'})`);
  const h = window(x.shape[1], kh, strides[1], dil[1], padding, ex && [ex[2], ex[3]]);
  const w = window(x.shape[2], kw, strides[2], dil[2], padding, ex && [ex[4], ex[5]]);
  const autoPad = padding === 'SAME' && (x.shape[1] < 0 || x.shape[2] < 0);
  const a: Record<string, ReturnType<typeof attr.ints>> = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([strides[1], strides[2]]),
  };
  if (dil[1] !== 1 || dil[2] !== 1) a.dilations = attr.ints([dil[1], dil[2]]);
  if (!autoPad) a.pads = attr.ints([h.before, w.before, h.after, w.after]);
  return { h, w, a, autoPad };
}

function convolution(cx: TfConverter, node: TfNode, depthwise: boolean): void {
  requireNhwc(node);
  const [x] = cx.inputValues(node);
  const filter = cx.constInput(node, 1, 'filter');
  if (filter.dims.length !== 4) throw unsupported(node, `its filter has shape [${filter.dims}], expected 4-D`);
  const [kh, kw, cin, m] = filter.dims;
  const { h, w, a, autoPad } = spatialAttrs(node, x, kh, kw);
  const channels = x.shape![3];
  let weight: ConstTensor;
  let group: number;
  let cout: number;
  if (depthwise) {
    const t = transposeConst(filter, [2, 3, 0, 1]); // [cin, m, kh, kw] → output channel c*m + k, as TF orders it
    weight = { ...t, dims: [cin * m, 1, kh, kw] };
    group = cin;
    cout = cin * m;
  } else {
    weight = transposeConst(filter, [3, 2, 0, 1]);
    group = channels > 0 && channels !== cin ? channels / cin : 1;
    if (!Number.isInteger(group))
      throw unsupported(node, `its input has ${channels} channels but the filter expects ${cin}`);
    cout = m;
  }
  const bias = makeConst('float32', [cout], new Array(cout).fill(0));
  const weightName = cx.initializer(`${node.name}/weights`, weight);
  const biasName = cx.initializer(`${node.name}/bias`, bias);
  const out = cx.out(node);
  const onnx = cx.emit('Conv', [cx.use(x, 'nchw'), weightName, biasName], [out], {
    ...a,
    ...(group !== 1 ? { group: attr.int(group) } : {}),
    ...(autoPad ? { auto_pad: attr.string('SAME_UPPER') } : {}),
  });
  cx.convs.set(out, { node: onnx, weight, bias, weightName, biasName });
  cx.define(out, { name: out, dtype: 'float32', shape: [x.shape![0], h.out, w.out, cout], layout: 'nchw' });
}

/**
 * Folds y = x*scale + shift (per output channel) into the convolution that produced x, when nothing else
 * reads x. Returns false when it cannot, and the caller emits the op.
 */
export function foldIntoConv(
  cx: TfConverter,
  node: TfNode,
  x: Value,
  scale: ArrayLike<number> | null,
  shift: ArrayLike<number> | null,
): boolean {
  const xTensor = dataInputs(node)[0];
  const conv = cx.convs.get(x.name);
  if (!conv || cx.consumerCount(xTensor) !== 1 || cx.isRequestedOutput(xTensor)) return false;
  const cout = conv.bias.dims[0];
  if ((scale && scale.length !== cout && scale.length !== 1) || (shift && shift.length !== cout && shift.length !== 1))
    return false;
  const per = conv.weight.data.length / cout;
  const wData = Float32Array.from(conv.weight.data);
  const bData = Float32Array.from(conv.bias.data);
  for (let c = 0; c < cout; c++) {
    const s = scale ? scale[scale.length === 1 ? 0 : c] : 1;
    const t = shift ? shift[shift.length === 1 ? 0 : c] : 0;
    if (s !== 1) for (let i = c * per; i < (c + 1) * per; i++) wData[i] *= s;
    bData[c] = bData[c] * s + t;
  }
  conv.weight = { ...conv.weight, data: wData };
  conv.bias = { ...conv.bias, data: bData };
  cx.b.setInitializer(conv.weightName, conv.weight);
  cx.b.setInitializer(conv.biasName, conv.bias);
  cx.define(cx.out(node), { ...x });
  cx.convs.delete(x.name);
  cx.convs.set(x.name, conv);
  cx.foldedNodes++;
  return true;
}

function fusedBatchNorm(cx: TfConverter, node: TfNode): void {
  requireNhwc(node);
  const [x] = cx.inputValues(node);
  const gamma = cx.constInput(node, 1, 'scale');
  const beta = cx.constInput(node, 2, 'offset');
  const mean = cx.constInput(node, 3, 'mean');
  const variance = cx.constInput(node, 4, 'variance');
  if (attrs.bool(node, 'is_training', false) || mean.data.length === 0) {
    throw unsupported(
      node,
      'it is in training mode (is_training=true, batch statistics)',
      'Export the graph for inference (is_training=False) and freeze it again.',
    );
  }
  const eps = attrs.float(node, 'epsilon', 1e-3);
  const c = gamma.data.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma.data[i] / Math.sqrt(variance.data[i] + eps);
    shift[i] = beta.data[i] - mean.data[i] * scale[i];
  }
  if (foldIntoConv(cx, node, x, scale, shift)) return;
  const rank4 = x.shape?.length === 4;
  const out = cx.out(node);
  const init = (n: string, t: ConstTensor) => cx.initializer(`${node.name}/${n}`, t);
  cx.emit(
    'BatchNormalization',
    [
      cx.use(x, rank4 ? 'nchw' : 'plain'),
      init('scale', gamma),
      init('offset', beta),
      init('mean', mean),
      init('variance', variance),
    ],
    [out],
    {
      epsilon: attr.float(eps),
    },
  );
  cx.define(out, { name: out, dtype: 'float32', shape: x.shape, layout: rank4 ? 'nchw' : 'plain' });
}

export const CONV_HANDLERS: Record<string, (cx: TfConverter, node: TfNode) => void> = {
  Conv2D: (cx, node) => convolution(cx, node, false),
  DepthwiseConv2dNative: (cx, node) => convolution(cx, node, true),
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
};
