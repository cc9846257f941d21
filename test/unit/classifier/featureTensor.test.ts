// Feature-tensor discovery and the featurizer cut: the real MobileNetV2 int8 (through QLinearMatMul, QLinearAdd
// and DequantizeLinear to the pooled, reshaped 1280-d tensor), float graphs built here (Gemm with transB, MatMul
// + Add), graphs without a classification layer (the error lists candidates), and featurizer + head in
// onnxruntime giving the head's own probabilities.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { findFeatureTensor } from '../../../src/classifier/featureTensor';
import { attachHead, cutFeaturizer } from '../../../src/classifier/featurizerGraph';
import { predictProbabilities, trainSoftmaxHead } from '../../../src/classifier/softmaxHead';
import { makeConst } from '../../../src/convert/constTensor';
import { OnnxGraphBuilder, attr } from '../../../src/convert/onnxBuilder';
import { decodeOnnx, encodeOnnx, inspectOnnx } from '../../../src/convert/onnxModel';
import { isAccelError } from '../../../src/domain/errors';
import { mobilenetPath } from '../../support/paths';
import { rng } from '../../support/random';

const mobilenet = fs.readFileSync(mobilenetPath);

/** input [N,3,8,8] → Conv(6 filters) → Relu → GlobalAveragePool → Flatten → classifier → Softmax. */
function floatClassifier(kind: 'gemm' | 'matmul' | 'none'): Uint8Array {
  const r = rng(42);
  const b = new OnnxGraphBuilder();
  b.setInitializer(
    'conv.w',
    makeConst(
      'float32',
      [6, 3, 3, 3],
      Array.from({ length: 162 }, () => r() - 0.5),
    ),
  );
  b.addNode('Conv', ['input', 'conv.w'], ['conv'], { pads: attr.ints([1, 1, 1, 1]) });
  b.addNode('Relu', ['conv'], ['relu']);
  b.addNode('GlobalAveragePool', ['relu'], ['pool']);
  b.addNode('Flatten', ['pool'], ['flat'], { axis: attr.int(1) });
  let logits = 'flat';
  if (kind === 'gemm') {
    b.setInitializer(
      'fc.w',
      makeConst(
        'float32',
        [5, 6],
        Array.from({ length: 30 }, () => r() - 0.5),
      ),
    );
    b.setInitializer('fc.b', makeConst('float32', [5], [0, 0.1, 0.2, 0.3, 0.4]));
    b.addNode('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], { transB: attr.int(1) });
    logits = 'logits';
  } else if (kind === 'matmul') {
    b.setInitializer(
      'fc.w',
      makeConst(
        'float32',
        [6, 5],
        Array.from({ length: 30 }, () => r() - 0.5),
      ),
    );
    b.setInitializer('fc.b', makeConst('float32', [5], [0, 0.1, 0.2, 0.3, 0.4]));
    b.addNode('MatMul', ['flat', 'fc.w'], ['mm']);
    b.addNode('Add', ['fc.b', 'mm'], ['logits']);
    logits = 'logits';
  }
  b.addNode('Softmax', [logits], ['prob'], { axis: attr.int(1) });
  return encodeOnnx(
    b.toModel(
      [{ name: 'input', dtype: 'float32', shape: [-1, 3, 8, 8] }],
      [{ name: 'prob', dtype: 'float32', shape: [-1, kind === 'none' ? 6 : 5] }],
      'test',
    ),
  );
}

function expectError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isAccelError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test("MobileNetV2 int8: the feature tensor is the pooled 1280-d input of QLinearMatMul, quantized with the pool's scale", () => {
  const f = findFeatureTensor(decodeOnnx(mobilenet).graph, 'mobilenet:1');
  assert.equal(f.name, '472_quantized');
  assert.equal(f.dim, 1280);
  assert.equal(f.sourceClasses, 1000);
  assert.deepEqual(f.quantization, { scale: '464_scale', zeroPoint: '464_zero_point' });
});

test('float graphs: Gemm with transB and MatMul + Add (bias first) both lead to the flattened pool', () => {
  for (const kind of ['gemm', 'matmul'] as const) {
    const f = findFeatureTensor(decodeOnnx(floatClassifier(kind)).graph, kind);
    assert.equal(f.name, 'flat', kind);
    assert.equal(f.dim, 6, kind);
    assert.equal(f.sourceClasses, 5, kind);
    assert.equal(f.quantization, undefined);
  }
});

test('no classification layer: InvalidModel that names the path walked and lists candidate tensors', () => {
  expectError(
    () => findFeatureTensor(decodeOnnx(floatClassifier('none')).graph, 'pooled:1'),
    'InvalidModel',
    /Could not find the feature tensor of model pooled:1 .*Softmax ← Flatten.*--feature-tensor.*Candidates \(latest first\): flat \(Flatten\), pool \(GlobalAveragePool\)/,
  );
});

test('--feature-tensor: must be a tensor a node produces; the error lists candidates', () => {
  const graph = decodeOnnx(floatClassifier('gemm')).graph;
  assert.equal(findFeatureTensor(graph, 'm', 'pool').name, 'pool');
  expectError(
    () => findFeatureTensor(graph, 'm', 'nope'),
    'InvalidArgument',
    /Tensor "nope" is not produced by any node of model m.*Candidates.*pool \(GlobalAveragePool\)/,
  );
  expectError(() => findFeatureTensor(graph, 'm', 'input'), 'InvalidArgument', /"input" is the graph input/);
  expectError(() => findFeatureTensor(graph, 'm', 'fc.w'), 'InvalidArgument', /"fc.w" is a constant/);
});

test('the MobileNetV2 featurizer: one float output features [batch_size,1280], the classifier weights gone, runs in onnxruntime', async () => {
  const { bytes, feature } = cutFeaturizer(mobilenet, 'mobilenet:1');
  assert.equal(feature.name, '472_quantized');
  const summary = inspectOnnx(bytes);
  assert.deepEqual(summary.outputs, [{ name: 'features', dtype: 'float32', shape: ['batch_size', 1280] }]);
  assert.deepEqual(
    summary.inputs.map((i) => i.name),
    ['input'],
  );
  assert.equal(summary.opTypes.QLinearMatMul, undefined);
  assert.ok(bytes.length < mobilenet.length - 1_000_000, 'the 1280×1000 classifier weights are pruned');
  const session = await ort.InferenceSession.create(bytes);
  const r = rng(1);
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 2 * 3 * 224 * 224 }, () => r() * 4 - 2),
    [2, 3, 224, 224],
  );
  const out = (await session.run({ input: x })).features;
  assert.deepEqual(out.dims, [2, 1280]);
  const data = out.data as Float32Array;
  assert.ok(
    data.every((v) => v >= 0 && v <= 6.5),
    'pooled ReLU6 activations',
  );
  assert.ok(data.some((v) => v > 0));
});

test('a cut at the 4-d pooled tensor is flattened to [N, C]', async () => {
  const { bytes, feature } = cutFeaturizer(mobilenet, 'mobilenet:1', '464_quantized');
  assert.deepEqual(feature.quantization, { scale: '464_scale', zeroPoint: '464_zero_point' });
  const session = await ort.InferenceSession.create(bytes);
  const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]);
  assert.deepEqual((await session.run({ input: x })).features.dims, [1, 1280]);
});

test("featurizer + head in onnxruntime gives the head's probabilities (float graph)", async () => {
  const { bytes } = cutFeaturizer(floatClassifier('gemm'), 'gemm');
  const featurizer = await ort.InferenceSession.create(bytes);
  const r = rng(3);
  const n = 12;
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: n * 3 * 64 }, () => r() * 2 - 1),
    [n, 3, 8, 8],
  );
  const features = (await featurizer.run({ input: x })).features.data as Float32Array;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const head = trainSoftmaxHead(features, n, 6, labels, 3, { l2: 0.01, maxIterations: 100 });
  const classifier = attachHead(bytes, 'gemm featurizer', head);
  assert.deepEqual(inspectOnnx(classifier).outputs, [
    { name: 'probabilities', dtype: 'float32', shape: ['batch_size', 3] },
  ]);
  const got = (await (await ort.InferenceSession.create(classifier)).run({ input: x })).probabilities
    .data as Float32Array;
  const want = predictProbabilities(head, features, n);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i] - want[i]) < 1e-5, `row ${Math.floor(i / 3)}: ${got[i]} vs ${want[i]}`);
});
