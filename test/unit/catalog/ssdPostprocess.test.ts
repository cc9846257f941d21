// SSD-VGG-300 post-processing on synthetic outputs: the 12 tensors of seed-system.md §2.3 (confidence
// [1,H,W,A,21] then boxes [1,H,W,A,4]) with known boxes encoded against anchors computed here from the
// seed parameters, independently of src/catalog/ssdPostprocess.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  layerAnchors,
  SSD_300_LAYERS,
  ssdPostprocessOutputs,
  type Detection,
} from '../../../src/catalog/ssdPostprocess';
import { isAccelError } from '../../../src/domain/errors';

// seed-system.md §2.3 (tfssd/model/ssd_vgg_300.py).
const FEAT = [37, 19, 10, 5, 3, 1];
const SIZES = [
  [21, 45],
  [45, 99],
  [99, 153],
  [153, 207],
  [207, 261],
  [261, 315],
];
const RATIOS = [
  [2, 0.5],
  [2, 0.5, 3, 1 / 3],
  [2, 0.5, 3, 1 / 3],
  [2, 0.5, 3, 1 / 3],
  [2, 0.5],
  [2, 0.5],
];
const STEPS = [8, 16, 32, 64, 100, 300];
const ANCHORS_PER_CELL = RATIOS.map((r) => 2 + r.length);

/** Centre and size of anchor `a` at cell (y, x) of layer k: [cy, cx, h, w] as fractions of 300. */
function anchor(k: number, y: number, x: number, a: number): [number, number, number, number] {
  const cy = ((y + 0.5) * STEPS[k]) / 300;
  const cx = ((x + 0.5) * STEPS[k]) / 300;
  const [s0, s1] = SIZES[k];
  if (a === 0) return [cy, cx, s0 / 300, s0 / 300];
  if (a === 1) return [cy, cx, Math.sqrt(s0 * s1) / 300, Math.sqrt(s0 * s1) / 300];
  const r = RATIOS[k][a - 2];
  return [cy, cx, s0 / 300 / Math.sqrt(r), (s0 / 300) * Math.sqrt(r)];
}

/** The 12 outputs with every anchor confidently background. */
function emptyOutputs(): Float32Array[] {
  const conf = FEAT.map((f, k) => {
    const t = new Float32Array(f * f * ANCHORS_PER_CELL[k] * 21);
    for (let i = 0; i < t.length; i += 21) t[i] = 10;
    return t;
  });
  const loc = FEAT.map((f, k) => new Float32Array(f * f * ANCHORS_PER_CELL[k] * 4));
  return [...conf, ...loc];
}

/** Encodes box (y1,x1,y2,x2) as class `cls` with logit `logit` at one anchor (background logit 0). */
function place(
  out: Float32Array[],
  k: number,
  y: number,
  x: number,
  a: number,
  cls: number,
  box: number[],
  logit = 10,
): void {
  const i = (y * FEAT[k] + x) * ANCHORS_PER_CELL[k] + a;
  const conf = out[k];
  conf.fill(0, i * 21, i * 21 + 21);
  conf[i * 21 + cls] = logit;
  const [acy, acx, ah, aw] = anchor(k, y, x, a);
  const [y1, x1, y2, x2] = box;
  const loc = out[6 + k];
  loc[i * 4] = ((x1 + x2) / 2 - acx) / aw / 0.1;
  loc[i * 4 + 1] = ((y1 + y2) / 2 - acy) / ah / 0.1;
  loc[i * 4 + 2] = Math.log((x2 - x1) / aw) / 0.2;
  loc[i * 4 + 3] = Math.log((y2 - y1) / ah) / 0.2;
}

/** Softmax probability of a class with logit L when the other 20 logits are 0. */
const scoreOf = (logit: number) => Math.exp(logit) / (Math.exp(logit) + 20);

function assertBox(actual: Detection['box'], expected: number[]): void {
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `box ${actual} vs ${expected}`));
}

describe('SSD-VGG anchors', () => {
  it('has the seed feature maps, anchor counts and steps (8432 anchors in all: block4 is 37×37 here, not 38×38)', () => {
    assert.deepEqual(
      SSD_300_LAYERS.map((l) => l.feat),
      FEAT,
    );
    assert.deepEqual(
      SSD_300_LAYERS.map((l) => l.step),
      STEPS,
    );
    assert.deepEqual(
      SSD_300_LAYERS.map((l) => l.sizes),
      SIZES,
    );
    const counts = SSD_300_LAYERS.map((l) => layerAnchors(l).length);
    assert.deepEqual(
      counts,
      FEAT.map((f, k) => f * f * ANCHORS_PER_CELL[k]),
    );
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      8432,
    );
  });

  it('matches hand-computed anchors (offset 0.5, sizes/300, ratios via sqrt)', () => {
    const at = (k: number, y: number, x: number, a: number) =>
      layerAnchors(SSD_300_LAYERS[k])[(y * FEAT[k] + x) * ANCHORS_PER_CELL[k] + a];
    const close = (got: { cy: number; cx: number; h: number; w: number }, [cy, cx, h, w]: number[]) =>
      [got.cy - cy, got.cx - cx, got.h - h, got.w - w].forEach((d) =>
        assert.ok(Math.abs(d) < 1e-9, `${JSON.stringify(got)} vs ${[cy, cx, h, w]}`),
      );
    // block4 cell (0,0): centre 4/300; sizes 21 and sqrt(21·45); ratio 2 and 1/2.
    close(at(0, 0, 0, 0), [0.013333333333, 0.013333333333, 0.07, 0.07]);
    close(at(0, 0, 0, 1), [0.013333333333, 0.013333333333, 0.102469507659596, 0.102469507659596]);
    close(at(0, 0, 0, 2), [0.013333333333, 0.013333333333, 0.049497474683058, 0.098994949366117]);
    close(at(0, 0, 0, 3), [0.013333333333, 0.013333333333, 0.098994949366117, 0.049497474683058]);
    // block7 cell (y 3, x 5), ratio 3.
    close(at(1, 3, 5, 4), [0.186666666667, 0.293333333333, 0.086602540378444, 0.259807621135332]);
    // block10 cell (y 2, x 1), ratio 2.
    close(at(4, 2, 1, 2), [0.833333333333, 0.5, 0.487903679018718, 0.975807358037436]);
    // block11: one cell at the centre, sqrt(261·315)/300.
    close(at(5, 0, 0, 1), [0.5, 0.5, 0.95577193932444, 0.95577193932444]);
    // The test's own anchor function agrees everywhere on a sample of anchors.
    for (let k = 0; k < 6; k++) {
      for (const [y, x] of [
        [0, 0],
        [FEAT[k] - 1, 0],
        [Math.floor(FEAT[k] / 2), FEAT[k] - 1],
      ]) {
        for (let a = 0; a < ANCHORS_PER_CELL[k]; a++) close(at(k, y, x, a), anchor(k, y, x, a));
      }
    }
  });
});

describe('ssdPostprocess', () => {
  it('decodes known boxes to class, score and (y1,x1,y2,x2) fractions', () => {
    const out = emptyOutputs();
    const person = [0.1, 0.2, 0.6, 0.45];
    const car = [0.55, 0.3, 0.95, 0.9];
    place(out, 1, 6, 6, 1, 15, person, 8); // block7, class 15 "person"
    place(out, 4, 2, 1, 2, 7, car, 9); // block10, class 7 "car"
    const dets = ssdPostprocessOutputs(out);
    assert.equal(dets.length, 2);
    assert.equal(dets[0].classId, 7);
    assert.ok(Math.abs(dets[0].score - scoreOf(9)) < 1e-6);
    assertBox(dets[0].box, car);
    assert.equal(dets[1].classId, 15);
    assert.ok(Math.abs(dets[1].score - scoreOf(8)) < 1e-6);
    assertBox(dets[1].box, person);
  });

  it('NMS suppresses an overlapping box of the same class and keeps one of another class', () => {
    const out = emptyOutputs();
    const box = [0.2, 0.2, 0.5, 0.5];
    const shifted = [0.21, 0.21, 0.51, 0.51]; // IoU ≈ 0.88 with box
    place(out, 0, 12, 12, 1, 12, box, 9);
    place(out, 0, 13, 13, 1, 12, shifted, 7);
    place(out, 0, 14, 14, 1, 8, shifted, 6); // same place, another class
    const dets = ssdPostprocessOutputs(out);
    assert.deepEqual(
      dets.map((d) => d.classId),
      [12, 8],
    );
    assertBox(dets[0].box, box);
    assertBox(dets[1].box, shifted);
    // A same-class box that overlaps less than the NMS threshold (0.45) survives.
    const apart = [0.2, 0.45, 0.5, 0.75]; // IoU 1/11 with box
    place(out, 0, 15, 15, 1, 12, apart, 5);
    assert.deepEqual(
      ssdPostprocessOutputs(out).map((d) => d.classId),
      [12, 8, 12],
    );
    // A tighter NMS threshold suppresses it too.
    assert.deepEqual(
      ssdPostprocessOutputs(out, { nmsThreshold: 0.05 }).map((d) => d.classId),
      [12, 8],
    );
  });

  it('respects the select threshold', () => {
    const out = emptyOutputs();
    // logit ln(20 · p/(1-p)) → probability p: 0.48 and 0.6.
    place(out, 2, 4, 4, 0, 3, [0.3, 0.3, 0.6, 0.6], Math.log((20 * 0.48) / 0.52));
    place(out, 3, 1, 1, 0, 5, [0.1, 0.1, 0.4, 0.4], Math.log(30));
    const at05 = ssdPostprocessOutputs(out);
    assert.deepEqual(
      at05.map((d) => d.classId),
      [5],
    );
    assert.ok(Math.abs(at05[0].score - 0.6) < 1e-5);
    assert.deepEqual(
      ssdPostprocessOutputs(out, { selectThreshold: 0.4 }).map((d) => d.classId),
      [5, 3],
    );
    assert.deepEqual(ssdPostprocessOutputs(out, { selectThreshold: 0.65 }), []);
  });

  it('clips boxes to the image and keeps at most topK candidates', () => {
    const out = emptyOutputs();
    place(out, 5, 0, 0, 1, 1, [-0.1, 0.05, 0.7, 1.2]);
    const [d] = ssdPostprocessOutputs(out);
    assertBox(d.box, [0, 0.05, 0.7, 1]);
    for (let x = 0; x < 10; x++) place(out, 0, 30, x * 3, 0, 2, [0.8, x * 0.09, 0.85, x * 0.09 + 0.05], 5 + x * 0.1);
    assert.equal(ssdPostprocessOutputs(out).length, 11);
    assert.equal(ssdPostprocessOutputs(out, { topK: 4 }).length, 4);
  });

  it('refuses a wrong number of outputs with what to pass', () => {
    assert.throws(
      () => ssdPostprocessOutputs(emptyOutputs().slice(0, 6)),
      (e) =>
        isAccelError(e, 'InvalidArgument') &&
        /needs 12 outputs, got 6/.test(e.message) &&
        /Reshape_1:0/.test(e.message),
    );
  });
});
