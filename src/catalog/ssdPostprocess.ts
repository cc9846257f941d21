// SSD-VGG-300 post-processing (seed-system.md §2.3): anchors of the six feature maps, decoding of the
// (cx, cy, w, h) offsets against them with prior scaling [0.1, 0.1, 0.2, 0.2], softmax over the 21 classes,
// score threshold, and per-class non-maximum suppression → (class, score, box y1,x1,y2,x2 as fractions).

import { AccelError } from '../domain/errors';

const CATALOG_ORDER = 'ssd_300_vgg/block{4,7,8,9,10,11}_box/Reshape_1:0 then .../Reshape:0';

export interface SsdLayer {
  feat: number;
  sizes: [number, number];
  ratios: number[];
  step: number;
}

export const SSD_300_LAYERS: SsdLayer[] = [
  { feat: 37, sizes: [21, 45], ratios: [2, 0.5], step: 8 },
  { feat: 19, sizes: [45, 99], ratios: [2, 0.5, 3, 1 / 3], step: 16 },
  { feat: 10, sizes: [99, 153], ratios: [2, 0.5, 3, 1 / 3], step: 32 },
  { feat: 5, sizes: [153, 207], ratios: [2, 0.5, 3, 1 / 3], step: 64 },
  { feat: 3, sizes: [207, 261], ratios: [2, 0.5], step: 100 },
  { feat: 1, sizes: [261, 315], ratios: [2, 0.5], step: 300 },
];
const IMAGE = 300;
const OFFSET = 0.5;
const PRIOR_SCALING = [0.1, 0.1, 0.2, 0.2];

export interface Anchor {
  cy: number;
  cx: number;
  h: number;
  w: number;
}

/** Anchors of one layer in output order: row, column, anchor. */
export function layerAnchors(l: SsdLayer): Anchor[] {
  const hw: [number, number][] = [
    [l.sizes[0] / IMAGE, l.sizes[0] / IMAGE],
    [Math.sqrt(l.sizes[0] * l.sizes[1]) / IMAGE, Math.sqrt(l.sizes[0] * l.sizes[1]) / IMAGE],
  ];
  for (const r of l.ratios) hw.push([l.sizes[0] / IMAGE / Math.sqrt(r), (l.sizes[0] / IMAGE) * Math.sqrt(r)]);
  const out: Anchor[] = [];
  for (let y = 0; y < l.feat; y++)
    for (let x = 0; x < l.feat; x++)
      for (const [h, w] of hw)
        out.push({ cy: ((y + OFFSET) * l.step) / IMAGE, cx: ((x + OFFSET) * l.step) / IMAGE, h, w });
  return out;
}

export interface Detection {
  classId: number;
  score: number;
  /** y1, x1, y2, x2 as fractions of the image. */
  box: [number, number, number, number];
}

export function decodeBox(loc: ArrayLike<number>, i: number, a: Anchor): [number, number, number, number] {
  const cx = loc[i] * a.w * PRIOR_SCALING[0] + a.cx;
  const cy = loc[i + 1] * a.h * PRIOR_SCALING[1] + a.cy;
  const w = a.w * Math.exp(loc[i + 2] * PRIOR_SCALING[2]);
  const h = a.h * Math.exp(loc[i + 3] * PRIOR_SCALING[3]);
  return [cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2];
}

/** Boxes are clipped to the image before NMS, as the original pipeline did (bboxes_clip, then sort, then NMS). */
function clip(box: Detection['box']): Detection['box'] {
  return box.map((v) => Math.min(1, Math.max(0, v))) as Detection['box'];
}

export function iou(a: Detection['box'], b: Detection['box']): number {
  const ih = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iw = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ih * iw;
  const area = (x: Detection['box']) => (x[2] - x[0]) * (x[3] - x[1]);
  return inter / (area(a) + area(b) - inter || 1);
}

export interface PostprocessOptions {
  selectThreshold?: number;
  nmsThreshold?: number;
  topK?: number;
}

/**
 * `logits[k]` and `locs[k]` are the flat outputs of layer k for one image ([H,W,A,21] and [H,W,A,4]),
 * in SSD_300_LAYERS order.
 */
export function ssdPostprocess(
  logits: ArrayLike<number>[],
  locs: ArrayLike<number>[],
  opts: PostprocessOptions = {},
): Detection[] {
  const threshold = opts.selectThreshold ?? 0.5;
  const candidates: Detection[] = [];
  SSD_300_LAYERS.forEach((layer, k) => {
    const anchors = layerAnchors(layer);
    for (let i = 0; i < anchors.length; i++) {
      const base = i * 21;
      let m = -Infinity;
      for (let c = 0; c < 21; c++) m = Math.max(m, logits[k][base + c]);
      let sum = 0;
      for (let c = 0; c < 21; c++) sum += Math.exp(logits[k][base + c] - m);
      for (let c = 1; c < 21; c++) {
        const score = Math.exp(logits[k][base + c] - m) / sum;
        if (score > threshold) candidates.push({ classId: c, score, box: clip(decodeBox(locs[k], i * 4, anchors[i])) });
      }
    }
  });
  candidates.sort((a, b) => b.score - a.score);
  const top = candidates.slice(0, opts.topK ?? 400);
  const kept: Detection[] = [];
  for (const d of top) {
    if (kept.some((k) => k.classId === d.classId && iou(k.box, d.box) > (opts.nmsThreshold ?? 0.45))) continue;
    kept.push(d);
  }
  return kept;
}

/** The 12 outputs in the catalog's order (six confidence tensors, then six box tensors) for one image. */
export function ssdPostprocessOutputs(outputs: ArrayLike<number>[], opts: PostprocessOptions = {}): Detection[] {
  if (outputs.length !== 2 * SSD_300_LAYERS.length) {
    throw new AccelError(
      'InvalidArgument',
      `SSD-VGG post-processing needs 12 outputs, got ${outputs.length}. Score with all of ${CATALOG_ORDER}.`,
    );
  }
  return ssdPostprocess(outputs.slice(0, 6), outputs.slice(6), opts);
}
