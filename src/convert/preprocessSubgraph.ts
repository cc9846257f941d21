// Cutting the image-decoding subgraph off a TF graph whose input is a DT_STRING placeholder (every graph of
// the original service: preprocess_array's map_fn decoding JPEG/PNG bytes, seed-system.md §2.1). The
// accelerator cannot run string ops; the emulator decodes and preprocesses server-side instead. So we find
// the subgraph, read its parameters (resize, crop, means, channel order, scaling) into a preprocessing
// preset, and hand the converter the float tensor where the model proper starts.
import { AccelError } from '../domain/errors';
import { PRESETS } from '../domain/presets';
import type { PreprocessingPreset, PresetName } from '../domain/types';
import { fromTfTensor, type ConstTensor } from './constTensor';
import {
  attrs,
  consumerMap,
  dataInputs,
  nodeMap,
  parseTensorName,
  tensorName,
  type TfGraph,
  type TfNode,
} from './tfGraph';

/** Ops that may appear in the preprocessing subgraph (decode, image math, map_fn's loop and TensorArrays). */
const PREPROCESS_OPS = new Set([
  'DecodeJpeg',
  'DecodePng',
  'DecodeImage',
  'DecodeBmp',
  'DecodeGif',
  'Cast',
  'ResizeBilinear',
  'ResizeNearestNeighbor',
  'ResizeBicubic',
  'ResizeArea',
  'Slice',
  'StridedSlice',
  'Split',
  'SplitV',
  'Unpack',
  'Pack',
  'ConcatV2',
  'Sub',
  'Mul',
  'RealDiv',
  'Add',
  'AddV2',
  'FloorDiv',
  'Maximum',
  'Minimum',
  'Greater',
  'Less',
  'Select',
  'SelectV2',
  'Shape',
  'Size',
  'ExpandDims',
  'Squeeze',
  'Reshape',
  'Identity',
  'Range',
  'ReverseV2',
  'Enter',
  'Exit',
  'Merge',
  'Switch',
  'NextIteration',
  'LoopCond',
  'LogicalAnd',
  'TensorArrayV3',
  'TensorArrayScatterV3',
  'TensorArrayReadV3',
  'TensorArrayWriteV3',
  'TensorArrayGatherV3',
  'TensorArraySizeV3',
  'Const',
]);
const DECODE_OPS = new Set(['DecodeJpeg', 'DecodePng', 'DecodeImage', 'DecodeBmp', 'DecodeGif']);
const RESIZE_OPS = new Set(['ResizeBilinear', 'ResizeNearestNeighbor', 'ResizeBicubic', 'ResizeArea']);

export type PreprocessParams = Omit<PreprocessingPreset, 'name'>;

export interface PreprocessCut {
  /** The float [N,H,W,3] tensor where the model starts. */
  boundaryTensor: string;
  /** The named preset with exactly these parameters, or 'custom' when none matches (then `params` are the preprocessing). */
  preset: PresetName | 'custom';
  params: PreprocessParams;
  nodeCount: number;
  notes: string[];
}

function cutError(input: string, why: string): AccelError {
  return new AccelError(
    'InvalidModel',
    `The string input ${input} feeds an image preprocessing subgraph the converter cannot read: ${why}. ` +
      'Convert from the float image tensor the model starts at instead (--input <tensor>), and pick a preprocessing preset when registering.',
  );
}

/** Model scope hints for presets that share parameters (ResNet-50/152 and VGG-16 preprocess identically). */
const SCOPE_HINTS: [RegExp, PresetName][] = [
  [/(^|\/)resnet_v1_152\//, 'resnet152'],
  [/(^|\/)resnet_v1_50\//, 'resnet50'],
  [/(^|\/)vgg_16\//, 'vgg16'],
  [/(^|\/)densenet121\//, 'densenet121'],
  [/(^|\/)ssd_300_vgg\//, 'ssdvgg'],
  [/mobilenet/i, 'mobilenetv2'],
];

export function matchPreset(params: PreprocessParams, graph?: TfGraph): PresetName | 'custom' {
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
  const matches = (Object.keys(PRESETS) as PresetName[]).filter((name) => {
    const p = PRESETS[name];
    return (
      name !== 'none' &&
      p.resizeShortestSide === params.resizeShortestSide &&
      p.height === params.height &&
      p.width === params.width &&
      p.channelOrder === params.channelOrder &&
      same(p.inputScale, params.inputScale) &&
      same(p.scalingFactor, params.scalingFactor) &&
      p.mean.every((m, i) => same(m, params.mean[i])) &&
      p.std.every((s, i) => same(s, params.std[i]))
    );
  });
  if (matches.length <= 1) return matches[0] ?? 'custom';
  for (const [re, name] of SCOPE_HINTS) {
    if (matches.includes(name) && graph?.node.some((n) => re.test(n.name))) return name;
  }
  return matches[0];
}

export function cutPreprocessing(graph: TfGraph, inputTensor: string): PreprocessCut {
  const input = tensorName(inputTensor);
  const nodes = nodeMap(graph);
  const consumers = consumerMap(graph);
  const start = parseTensorName(input).node;

  // Readers of each node's outputs.
  const readers = new Map<string, Set<string>>();
  for (const [tensor, rs] of consumers) {
    const set = readers.get(parseTensorName(tensor).node) ?? new Set<string>();
    rs.forEach((r) => set.add(r));
    readers.set(parseTensorName(tensor).node, set);
  }
  const closure = (from: string, follow: (n: TfNode) => boolean): Set<string> => {
    const seen = new Set<string>([from]);
    const queue = [from];
    while (queue.length) {
      for (const r of readers.get(queue.shift()!) ?? []) {
        if (seen.has(r) || !follow(nodes.get(r)!)) continue;
        seen.add(r);
        queue.push(r);
      }
    }
    return seen;
  };
  // The region: everything reachable from the string input through preprocessing ops.
  const region = closure(start, (n) => PREPROCESS_OPS.has(n.op));
  const regionNodes = [...region].map((n) => nodes.get(n)!);
  if (!regionNodes.some((n) => DECODE_OPS.has(n.op)))
    throw cutError(input, 'no DecodeJpeg/DecodePng/DecodeImage node reads it');

  const boundary = new Set<string>();
  for (const n of graph.node) {
    if (region.has(n.name)) continue;
    for (const t of dataInputs(n))
      if (region.has(parseTensorName(t).node) && nodes.get(parseTensorName(t).node)!.op !== 'Const') boundary.add(t);
  }
  if (boundary.size !== 1) {
    throw cutError(
      input,
      boundary.size === 0
        ? 'nothing outside it reads its result'
        : `it hands ${boundary.size} tensors to the model (${[...boundary].join(', ')}), expected one image batch`,
    );
  }
  const boundaryTensor = [...boundary][0];

  // Constant value of a tensor (Const nodes, through Identity), or undefined.
  const constOf = (t: string): ConstTensor | undefined => {
    const n = nodes.get(parseTensorName(t).node);
    if (!n) return undefined;
    if (n.op === 'Const') return fromTfTensor(attrs.tensor(n, 'value'), `"${n.name}"`);
    if (n.op === 'Identity') return constOf(dataInputs(n)[0]);
    return undefined;
  };
  const producer = (t: string) => nodes.get(parseTensorName(t).node)!;
  const notes: string[] = [];

  // Resize.
  const resizes = regionNodes.filter((n) => RESIZE_OPS.has(n.op));
  if (resizes.length !== 1) throw cutError(input, `expected one resize op, found ${resizes.length}`);
  const resize = resizes[0];
  if (resize.op !== 'ResizeBilinear')
    notes.push(`The graph resizes with ${resize.op}; the emulator resizes bilinearly (TF1 align_corners=False).`);
  if (attrs.bool(resize, 'align_corners', false))
    notes.push(
      'The graph resizes with align_corners=True; the emulator uses align_corners=False as the original service did.',
    );
  const sizeConst = constOf(dataInputs(resize)[1]);
  let resizeShortestSide: number | null = null;
  if (!sizeConst) {
    // Aspect-preserving resize: the target side is the one scalar constant (≥ 16) in the size computation.
    const sides = new Set<number>();
    const seen = new Set<string>();
    const walk = (t: string) => {
      const n = producer(t);
      if (!n || seen.has(n.name)) return;
      seen.add(n.name);
      const c = n.op === 'Const' ? constOf(t) : undefined;
      if (c && c.dims.length === 0 && c.data[0] >= 16) sides.add(c.data[0]);
      if (n.op !== 'Const' && region.has(n.name)) dataInputs(n).forEach(walk);
    };
    walk(dataInputs(resize)[1]);
    if (sides.size !== 1)
      throw cutError(
        input,
        `cannot read the resize side from ${resize.name} (candidate constants: ${[...sides].join(', ') || 'none'})`,
      );
    resizeShortestSide = [...sides][0];
  }

  // Crop (a Slice with a constant size) or the plain resize size.
  const crop = regionNodes.find((n) => n.op === 'Slice' && constOf(dataInputs(n)[2]));
  let height: number;
  let width: number;
  if (crop) {
    const s = constOf(dataInputs(crop)[2])!;
    [height, width] = [s.data[0], s.data[1]];
  } else if (sizeConst) {
    [height, width] = [sizeConst.data[0], sizeConst.data[1]];
  } else {
    throw cutError(input, 'the image is resized keeping its aspect ratio but never cropped to a fixed size');
  }

  // The image path: from the decode on, not through the size arithmetic behind Shape.
  const decode = regionNodes.find((n) => DECODE_OPS.has(n.op))!;
  const imagePath = closure(decode.name, (n) => region.has(n.name) && n.op !== 'Shape' && n.op !== 'Size');

  // Per-channel means: Sub(split channel k, scalar) — or one Sub with a 3-vector.
  const channelOf = (t: string): number | undefined => {
    const n = producer(t);
    if ((n.op === 'Split' || n.op === 'Unpack') && region.has(n.name)) return parseTensorName(t).index;
    if (n.op === 'Identity' || n.op === 'Sub' || n.op === 'Mul' || n.op === 'RealDiv')
      return channelOf(dataInputs(n)[0]);
    return undefined;
  };
  const mean: [number, number, number] = [0, 0, 0];
  for (const sub of regionNodes.filter((n) => n.op === 'Sub' && imagePath.has(n.name))) {
    const [x, y] = dataInputs(sub);
    const c = constOf(y);
    if (!c || c.dtype !== 'float32') continue;
    if (c.data.length === 3) [0, 1, 2].forEach((k) => (mean[k] = c.data[k]));
    else {
      const k = channelOf(x);
      if (k === undefined) throw cutError(input, `cannot tell which channel ${sub.name} subtracts its mean from`);
      mean[k] = c.data[0];
    }
  }

  // Channel order: the concat of the three channel planes.
  let channelOrder: 'RGB' | 'BGR' = 'RGB';
  const concat = regionNodes.find(
    (n) => (n.op === 'ConcatV2' || n.op === 'Pack') && dataInputs(n).some((t) => channelOf(t) !== undefined),
  );
  if (concat) {
    const order = dataInputs(concat)
      .map(channelOf)
      .filter((k) => k !== undefined)
      .join(',');
    if (order === '2,1,0') channelOrder = 'BGR';
    else if (order !== '0,1,2')
      throw cutError(input, `channel order ${order} of ${concat.name} is neither RGB nor BGR`);
  } else if (regionNodes.some((n) => n.op === 'ReverseV2')) {
    channelOrder = 'BGR';
  }

  // Scaling: scalar Mul/RealDiv on the image path (not the size arithmetic behind Shape) after the channel
  // concat → scalingFactor; before it → inputScale.
  const afterConcat = concat ? closure(concat.name, (n) => region.has(n.name)) : new Set<string>();
  let scalingFactor = 1;
  let inputScale = 1;
  for (const n of regionNodes.filter((m) => (m.op === 'Mul' || m.op === 'RealDiv') && imagePath.has(m.name))) {
    const c = constOf(dataInputs(n)[1]) ?? (n.op === 'Mul' ? constOf(dataInputs(n)[0]) : undefined);
    if (!c || c.dims.length !== 0 || c.dtype !== 'float32') continue;
    const factor = n.op === 'Mul' ? c.data[0] : 1 / c.data[0];
    if (afterConcat.has(n.name) && n.name !== concat?.name) scalingFactor *= factor;
    else inputScale *= factor;
  }

  // Constants come as float32: round to 7 significant digits so 123.68 reads as 123.68.
  const r = (v: number) => Number(v.toPrecision(7));
  const params: PreprocessParams = {
    resizeShortestSide,
    height,
    width,
    channelOrder,
    inputScale: r(inputScale),
    mean: mean.map(r) as [number, number, number],
    std: [1, 1, 1],
    scalingFactor: r(scalingFactor),
  };
  const preset = matchPreset(params, graph);
  if (preset === 'custom')
    notes.push(
      `No named preset has these parameters; the converted model gets them as its custom preprocessing: ${JSON.stringify(params)}.`,
    );
  return { boundaryTensor, preset, params, nodeCount: region.size - 1, notes };
}

/** True when the tensor is produced by a DT_STRING Placeholder. */
export function isStringPlaceholder(graph: TfGraph, tensor: string): boolean {
  const node: TfNode | undefined = nodeMap(graph).get(parseTensorName(tensorName(tensor)).node);
  return !!node && node.op === 'Placeholder' && attrs.type(node, 'dtype') === 7;
}
