// Every supported TF op, converted and run in onnxruntime-node, checked against the plain-loop NHWC
// reference implementations in nhwcReference.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphDefWriter, a, rng } from '../../support/graphDefWriter';
import * as R from './nhwcReference';
import { convertAndRun } from './ortRun';

const TOL = 2e-4;
const rand = rng(42);
const randn = (n: number) => Array.from({ length: n }, () => rand() * 2 - 1);
const T_FLOAT = { T: a.type('float') };
const nhwc = { data_format: a.s('NHWC') };

function input(shape: number[]): R.T {
  return R.tensor(shape, () => rand() * 2 - 1);
}

function close(actual: R.T, expected: R.T, tol = TOL): void {
  assert.deepEqual(actual.shape, expected.shape);
  const d = R.maxAbsDiff(actual.data, expected.data);
  assert.ok(d <= tol, `max abs difference ${d} > ${tol}`);
}

function constT(g: GraphDefWriter, name: string, shape: number[]): R.T {
  const data = Float32Array.from(randn(shape.reduce((p, q) => p * q, 1)));
  g.const(name, shape, data);
  return { shape, data };
}

function transposeCount(model: any): number {
  return model.graph.node.filter((n: any) => n.op_type === 'Transpose').length;
}

describe('Conv2D and DepthwiseConv2dNative', () => {
  const cases: {
    name: string;
    hw: [number, number];
    k: [number, number];
    s: [number, number];
    pad: string;
    d?: [number, number];
  }[] = [
    { name: 'SAME stride 1', hw: [8, 8], k: [3, 3], s: [1, 1], pad: 'SAME' },
    { name: 'SAME stride 2, even size (asymmetric TF padding)', hw: [8, 10], k: [3, 3], s: [2, 2], pad: 'SAME' },
    { name: 'SAME stride 2, 7x7 kernel on odd size', hw: [11, 9], k: [7, 7], s: [2, 2], pad: 'SAME' },
    { name: 'VALID stride 2', hw: [9, 9], k: [3, 3], s: [2, 2], pad: 'VALID' },
    { name: 'VALID 1x1 stride 2', hw: [8, 8], k: [1, 1], s: [2, 2], pad: 'VALID' },
    { name: 'SAME dilation 2', hw: [10, 10], k: [3, 3], s: [1, 1], pad: 'SAME', d: [2, 2] },
    { name: 'VALID dilation 2, 1x3 kernel', hw: [9, 9], k: [1, 3], s: [1, 1], pad: 'VALID', d: [2, 2] },
  ];
  for (const c of cases) {
    test(`Conv2D ${c.name}`, async () => {
      const g = new GraphDefWriter();
      g.placeholder('x', [-1, c.hw[0], c.hw[1], 3]);
      const w = constT(g, 'w', [c.k[0], c.k[1], 3, 5]);
      g.op('Conv2D', 'conv', ['x', 'w'], {
        ...T_FLOAT,
        ...nhwc,
        strides: a.ints([1, c.s[0], c.s[1], 1]),
        padding: a.s(c.pad),
        dilations: a.ints([1, ...(c.d ?? [1, 1]), 1]),
      });
      const x = input([2, c.hw[0], c.hw[1], 3]);
      const { results } = await convertAndRun(g, x, ['conv:0']);
      close(results['conv:0'], R.conv2d(x, w, c.s, c.pad, c.d));
    });
    test(`DepthwiseConv2dNative ${c.name}, channel multiplier 2`, async () => {
      const g = new GraphDefWriter();
      g.placeholder('x', [-1, c.hw[0], c.hw[1], 4]);
      const w = constT(g, 'w', [c.k[0], c.k[1], 4, 2]);
      g.op('DepthwiseConv2dNative', 'dw', ['x', 'w'], {
        ...T_FLOAT,
        ...nhwc,
        strides: a.ints([1, c.s[0], c.s[1], 1]),
        padding: a.s(c.pad),
        dilations: a.ints([1, ...(c.d ?? [1, 1]), 1]),
      });
      const x = input([1, c.hw[0], c.hw[1], 4]);
      const { results } = await convertAndRun(g, x, ['dw:0']);
      close(results['dw:0'], R.depthwise(x, w, c.s, c.pad, c.d));
    });
  }
});

describe('bias, batch norm and activations', () => {
  test('Conv2D + BiasAdd + FusedBatchNorm + Relu: folded into one Conv, same numbers', async () => {
    const g = new GraphDefWriter();
    g.placeholder('x', [-1, 6, 6, 3]);
    const w = constT(g, 'w', [3, 3, 3, 4]);
    const bias = constT(g, 'b', [4]);
    const gamma = [1.5, 0.5, 2, 1],
      beta = [0.1, -0.2, 0.3, 0],
      mean = [0.2, -0.1, 0, 0.5],
      variance = [0.5, 2, 1, 0.25];
    g.const('gamma', [4], gamma);
    g.const('beta', [4], beta);
    g.const('mean', [4], mean);
    g.const('var', [4], variance);
    g.op('Conv2D', 'conv', ['x', 'w'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME') });
    g.op('BiasAdd', 'bias', ['conv', 'b'], { ...T_FLOAT, ...nhwc });
    g.op('FusedBatchNorm', 'bn', ['bias', 'gamma', 'beta', 'mean', 'var'], {
      ...T_FLOAT,
      ...nhwc,
      epsilon: a.f(0.001),
      is_training: a.b(false),
    });
    g.op('Relu', 'relu', ['bn'], T_FLOAT);
    const x = input([2, 6, 6, 3]);
    const { results, converted } = await convertAndRun(g, x, ['relu:0']);
    const ref = R.map(
      R.batchNorm(
        R.broadcast(R.conv2d(x, w, [1, 1], 'SAME'), bias, (p, q) => p + q),
        gamma,
        beta,
        mean,
        variance,
        0.001,
      ),
      (v) => Math.max(0, v),
    );
    close(results['relu:0'], ref);
    const ops = (converted.model as any).graph.node.map((n: any) => n.op_type);
    assert.deepEqual(
      ops.filter((o: string) => o !== 'Transpose'),
      ['Conv', 'Relu'],
    );
    assert.equal(converted.foldedNodes >= 2, true);
  });

  test('FusedBatchNormV3 that cannot fold (after Relu) runs as BatchNormalization; Relu6 clips at 6', async () => {
    const g = new GraphDefWriter();
    g.placeholder('x', [-1, 5, 5, 3]);
    const gamma = [2, 3, 4],
      beta = [1, 2, 3],
      mean = [0, 0.5, -0.5],
      variance = [1, 0.5, 2];
    g.const('gamma', [3], gamma);
    g.const('beta', [3], beta);
    g.const('mean', [3], mean);
    g.const('var', [3], variance);
    g.op('Relu', 'relu', ['x'], T_FLOAT);
    g.op('FusedBatchNormV3', 'bn', ['relu', 'gamma', 'beta', 'mean', 'var'], {
      ...T_FLOAT,
      ...nhwc,
      epsilon: a.f(0.0001),
      is_training: a.b(false),
    });
    g.op('Relu6', 'relu6', ['bn'], T_FLOAT);
    const x = R.tensor([2, 5, 5, 3], () => rand() * 8 - 2);
    const { results } = await convertAndRun(g, x, ['relu6:0']);
    const ref = R.map(
      R.batchNorm(
        R.map(x, (v) => Math.max(0, v)),
        gamma,
        beta,
        mean,
        variance,
        0.0001,
      ),
      (v) => Math.min(6, Math.max(0, v)),
    );
    close(results['relu6:0'], ref);
  });
});

describe('pooling and reductions', () => {
  for (const [kind, op] of [
    ['max', 'MaxPool'],
    ['avg', 'AvgPool'],
  ] as const) {
    for (const pad of ['SAME', 'VALID']) {
      test(`${op} 3x3 stride 2 ${pad} (after a conv, so in NCHW)`, async () => {
        const g = new GraphDefWriter();
        g.placeholder('x', [-1, 10, 9, 3]);
        const w = constT(g, 'w', [1, 1, 3, 3]);
        g.op('Conv2D', 'conv', ['x', 'w'], {
          ...T_FLOAT,
          ...nhwc,
          strides: a.ints([1, 1, 1, 1]),
          padding: a.s('VALID'),
        });
        g.op(op, 'pool', ['conv'], {
          ...T_FLOAT,
          ...nhwc,
          ksize: a.ints([1, 3, 3, 1]),
          strides: a.ints([1, 2, 2, 1]),
          padding: a.s(pad),
        });
        const x = input([2, 10, 9, 3]);
        const { results } = await convertAndRun(g, x, ['pool:0']);
        close(results['pool:0'], R.pool(R.conv2d(x, w, [1, 1], 'VALID'), [3, 3], [2, 2], pad, kind));
      });
    }
  }

  for (const keep of [true, false]) {
    test(`Mean over H,W keep_dims=${keep}`, async () => {
      const g = new GraphDefWriter();
      g.placeholder('x', [-1, 4, 5, 6]);
      const w = constT(g, 'w', [1, 1, 6, 6]);
      g.op('Conv2D', 'conv', ['x', 'w'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 1, 1, 1]), padding: a.s('VALID') });
      g.const('axes', [2], [1, 2], 'int32');
      g.op('Mean', 'mean', ['conv', 'axes'], { ...T_FLOAT, keep_dims: a.b(keep) });
      const x = input([3, 4, 5, 6]);
      const { results } = await convertAndRun(g, x, ['mean:0']);
      close(results['mean:0'], R.meanHW(R.conv2d(x, w, [1, 1], 'VALID'), keep));
    });
  }
});

describe('tensor ops', () => {
  test('Pad (TF-slim conv2d_same style) then VALID conv', async () => {
    const g = new GraphDefWriter();
    g.placeholder('x', [-1, 8, 8, 3]);
    const w = constT(g, 'w', [3, 3, 3, 2]);
    g.const('paddings', [4, 2], [0, 0, 1, 2, 2, 1, 0, 0], 'int32');
    g.op('Pad', 'pad', ['x', 'paddings'], { T: a.type('float'), Tpaddings: a.type('int32') });
    g.op('Conv2D', 'conv', ['pad', 'w'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 2, 2, 1]), padding: a.s('VALID') });
    g.op('Pad', 'pad2', ['conv', 'paddings'], { T: a.type('float') });
    const x = input([2, 8, 8, 3]);
    const { results } = await convertAndRun(g, x, ['pad2:0', 'pad:0']);
    const padded = R.pad4(x, [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ]);
    close(results['pad:0'], padded);
    close(
      results['pad2:0'],
      R.pad4(R.conv2d(padded, w, [2, 2], 'VALID'), [
        [0, 0],
        [1, 2],
        [2, 1],
        [0, 0],
      ]),
    );
  });

  test('ConcatV2 on the channel axis of two branches, Add/AddV2/Mul/Sub with activations and constants', async () => {
    const g = new GraphDefWriter();
    g.placeholder('x', [-1, 5, 5, 3]);
    const w1 = constT(g, 'w1', [1, 1, 3, 2]);
    const w2 = constT(g, 'w2', [3, 3, 3, 4]);
    g.op('Conv2D', 'b1', ['x', 'w1'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME') });
    g.op('Conv2D', 'b2', ['x', 'w2'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME') });
    g.const('axis', [], [3], 'int32');
    g.op('ConcatV2', 'cat', ['b1', 'b2', 'axis'], { T: a.type('float'), N: a.i(2) });
    const vec = constT(g, 'vec', [6]);
    g.const('two', [], [2]);
    g.op('Sub', 'sub', ['cat', 'vec'], T_FLOAT);
    g.op('Mul', 'mul', ['sub', 'two'], T_FLOAT);
    g.op('Relu', 'relu', ['cat'], T_FLOAT);
    g.op('AddV2', 'add2', ['mul', 'relu'], T_FLOAT);
    g.op('Add', 'add', ['add2', 'cat'], T_FLOAT);
    const x = input([2, 5, 5, 3]);
    const { results, converted } = await convertAndRun(g, x, ['add:0']);
    const cat = R.concatLast([R.conv2d(x, w1, [1, 1], 'SAME'), R.conv2d(x, w2, [1, 1], 'SAME')]);
    const mul = R.map(
      R.broadcast(cat, vec, (p, q) => p - q),
      (v) => v * 2,
    );
    const add2 = R.broadcast(
      mul,
      R.map(cat, (v) => Math.max(0, v)),
      (p, q) => p + q,
    );
    close(
      results['add:0'],
      R.broadcast(add2, cat, (p, q) => p + q),
    );
    // Layout handled at the edges: one transpose after the input, one before the NHWC output.
    assert.equal(transposeCount(converted.model), 2);
  });

  test('Mean → Reshape → MatMul (transpose_b) → BiasAdd → Softmax, and Squeeze of a 1x1 conv head', async () => {
    const g = new GraphDefWriter();
    g.placeholder('x', [-1, 4, 4, 3]);
    const w = constT(g, 'w', [3, 3, 3, 8]);
    g.op('Conv2D', 'conv', ['x', 'w'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME') });
    g.const('axes', [2], [1, 2], 'int32');
    g.op('Mean', 'pool', ['conv', 'axes'], { ...T_FLOAT, keep_dims: a.b(true) });
    // 1x1 conv logits + squeeze, TF-slim style
    const wl = constT(g, 'wl', [1, 1, 8, 5]);
    g.op('Conv2D', 'logits', ['pool', 'wl'], {
      ...T_FLOAT,
      ...nhwc,
      strides: a.ints([1, 1, 1, 1]),
      padding: a.s('VALID'),
    });
    g.op('Squeeze', 'squeezed', ['logits'], { ...T_FLOAT, squeeze_dims: a.ints([1, 2]) });
    g.op('Softmax', 'prob', ['squeezed'], T_FLOAT);
    // dense head: reshape + matmul with transposed weights
    g.const('shape', [2], [-1, 8], 'int32');
    g.op('Reshape', 'flat', ['pool', 'shape'], { T: a.type('float'), Tshape: a.type('int32') });
    const wt = constT(g, 'wt', [5, 8]);
    const bias = constT(g, 'fb', [5]);
    g.op('MatMul', 'fc', ['flat', 'wt'], { ...T_FLOAT, transpose_a: a.b(false), transpose_b: a.b(true) });
    g.op('BiasAdd', 'fcb', ['fc', 'fb'], { ...T_FLOAT, ...nhwc });
    g.op('Softmax', 'fcprob', ['fcb'], T_FLOAT);
    const x = input([3, 4, 4, 3]);
    const { results } = await convertAndRun(g, x, ['prob:0', 'fcprob:0']);
    const pooled = R.meanHW(R.conv2d(x, w, [1, 1], 'SAME'), true);
    const logits = R.conv2d(pooled, wl, [1, 1], 'VALID');
    close(results['prob:0'], R.softmaxLast({ shape: [3, 5], data: logits.data }));
    const wT: R.T = {
      shape: [8, 5],
      data: Float32Array.from({ length: 40 }, (_, i) => wt.data[(i % 5) * 8 + Math.floor(i / 5)]),
    };
    const fc = R.broadcast(R.matmul({ shape: [3, 8], data: pooled.data }, wT), bias, (p, q) => p + q);
    close(results['fcprob:0'], R.softmaxLast(fc));
  });

  test('SSD-style head: Shape/StridedSlice/Pack fold with a dynamic batch, Reshape to [N,H,W,anchors,classes], Identity output', async () => {
    const g = new GraphDefWriter();
    g.placeholder('x', [-1, 6, 6, 3]);
    const w = constT(g, 'w', [3, 3, 3, 4 * 5]);
    g.op('Conv2D', 'conv', ['x', 'w'], { ...T_FLOAT, ...nhwc, strides: a.ints([1, 1, 1, 1]), padding: a.s('SAME') });
    g.op('Shape', 'shape', ['conv'], { T: a.type('float'), out_type: a.type('int32') });
    g.const('b', [1], [0], 'int32');
    g.const('e', [1], [-1], 'int32');
    g.const('s', [1], [1], 'int32');
    g.op('StridedSlice', 'lead', ['shape', 'b', 'e', 's'], {
      T: a.type('int32'),
      Index: a.type('int32'),
      begin_mask: a.i(1),
      end_mask: a.i(0),
      shrink_axis_mask: a.i(0),
      ellipsis_mask: a.i(0),
      new_axis_mask: a.i(0),
    });
    g.const('anchors', [1], [4], 'int32');
    g.const('classes', [1], [5], 'int32');
    g.const('zero', [], [0], 'int32');
    g.op('ConcatV2', 'target', ['lead', 'anchors', 'classes', 'zero'], { T: a.type('int32'), N: a.i(3) });
    g.op('Reshape', 'Reshape_1', ['conv', 'target'], { T: a.type('float'), Tshape: a.type('int32') });
    g.op('Identity', 'out', ['Reshape_1'], T_FLOAT);
    // Pack-based variant of the same target shape
    g.const('b0', [1], [0], 'int32');
    g.const('e0', [1], [1], 'int32');
    g.op('StridedSlice', 'batch', ['shape', 'b0', 'e0', 's'], {
      T: a.type('int32'),
      Index: a.type('int32'),
      shrink_axis_mask: a.i(1),
    });
    g.const('k6', [], [6], 'int32');
    g.const('k4', [], [4], 'int32');
    g.const('k5', [], [5], 'int32');
    g.op('Pack', 'packed', ['batch', 'k6', 'k6', 'k4', 'k5'], { T: a.type('int32'), N: a.i(5), axis: a.i(0) });
    g.op('Reshape', 'Reshape_2', ['conv', 'packed'], { T: a.type('float') });
    const x = input([2, 6, 6, 3]);
    const { results, converted } = await convertAndRun(g, x, ['out:0', 'Reshape_2:0']);
    const ref = R.conv2d(x, w, [1, 1], 'SAME');
    close(results['out:0'], { shape: [2, 6, 6, 4, 5], data: ref.data });
    close(results['Reshape_2:0'], { shape: [2, 6, 6, 4, 5], data: ref.data });
    const ops: string[] = (converted.model as any).graph.node.map((n: any) => n.op_type);
    assert.ok(!ops.includes('Shape') && !ops.includes('StridedSlice'), `shape ops folded: ${ops}`);
    assert.deepEqual(
      converted.outputs.map((o) => o.shape),
      [
        [-1, 6, 6, 4, 5],
        [-1, 6, 6, 4, 5],
      ],
    );
  });
});
