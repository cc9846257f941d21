// Real gRPC over loopback, real MobileNetV2: photos classified as the shared data README says, through our
// PredictionClient and through a client built only from the .proto files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PredictionClient } from '../../../src/client/predictionClient';
import { topK } from '../../../src/client/topK';
import { PRESETS } from '../../../src/domain/presets';
import { imageLayoutFor, preprocessImages } from '../../../src/emulator/runtime/preprocess';
import type { ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { INPUT, OUTPUT, PRIMARY_KEY, imagenetLabels, mobilenetModel, photo, startMobilenet } from './endpointHarness';
import { bearer, healthCheck, tfServingStub, unary } from './wireClients';

const top1 = (scores: Float32Array) => topK(scores, imagenetLabels(), 1)[0].index;
const top5 = (scores: ArrayLike<number>) => topK(scores, imagenetLabels(), 5).map((p) => p.index);

describe('scoring the shared photos with MobileNetV2', () => {
  let endpoint: ServiceEndpoint;
  let client: PredictionClient;
  before(async () => {
    endpoint = await startMobilenet({ restPort: 0 });
    client = new PredictionClient('127.0.0.1', endpoint.port, false, PRIMARY_KEY, 'mnv2');
  });
  after(async () => {
    client.close();
    await endpoint.stop();
  });

  const exact: Array<[string, number]> = [
    ['skimage/coffee.png', 967],
    ['coral/parrot.jpg', 88],
    ['coral/hot_dog.jpg', 934],
    ['coral/bird.bmp', 19],
    ['coral/dragonfly.bmp', 319],
  ];
  for (const [file, cls] of exact) {
    it(`${file} → class ${cls}`, async () => {
      const r = await client.scoreFile(photo(file));
      assert.deepEqual(r.outputs[OUTPUT].shape, [1, 1000]);
      assert.equal(top1(r.outputs[OUTPUT].data), cls);
      assert.ok(r.timings.inferenceMs! > 0 && r.timings.preprocessMs! > 0 && r.timings.totalMs > 0);
    });
  }
  it('cats are cats, the dog is a dog, Grace Hopper wears a military uniform', async () => {
    for (const f of ['skimage/chelsea.png', 'coral/cat_720p.jpg']) {
      const c = top1((await client.scoreFile(photo(f))).outputs[OUTPUT].data);
      assert.ok(c >= 281 && c <= 285, `${f}: ${c}`);
    }
    const dog = top1((await client.scoreFile(photo('coral/pets.jpg'))).outputs[OUTPUT].data);
    assert.ok(dog >= 151 && dog <= 268, `pets: ${dog}`);
    assert.ok(top5((await client.scoreFile(photo('coral/grace_hopper.bmp'))).outputs[OUTPUT].data).includes(652));
  });

  it('a DT_STRING batch of N images gives a batch of N results in order', async () => {
    const files = ['coral/parrot.jpg', 'skimage/coffee.png', 'coral/bird.bmp'];
    const r = await client.scoreImage(files.map((f) => fs.readFileSync(photo(f))));
    assert.deepEqual(r.outputs[OUTPUT].shape, [3, 1000]);
    const d = r.outputs[OUTPUT].data;
    assert.deepEqual(
      [0, 1, 2].map((i) => top1(d.subarray(i * 1000, (i + 1) * 1000))),
      [88, 967, 19],
    );
  });

  it('a DT_FLOAT tensor (tensor_content) gives the same scores as the server-side image path', async () => {
    const preset = PRESETS.mobilenetv2;
    const { data, shape } = await preprocessImages(
      [fs.readFileSync(photo('coral/hot_dog.jpg'))],
      preset,
      imageLayoutFor(mobilenetModel().inputs[0], preset),
    );
    const viaFloat = await client.scoreTensors({ [INPUT]: { data, shape } });
    const viaJpeg = await client.scoreFile(photo('coral/hot_dog.jpg'));
    assert.deepEqual(Array.from(viaFloat.outputs[OUTPUT].data), Array.from(viaJpeg.outputs[OUTPUT].data));
  });

  it('an independent proto-only client (float_val in and out, Bearer key) gets the same top-5 as PredictionClient', async () => {
    const stub = tfServingStub(endpoint.port);
    try {
      const jpeg = fs.readFileSync(photo('coral/cat_720p.jpg'));
      const res = await unary(
        stub,
        'Predict',
        {
          model_spec: { name: 'mnv2', signature_name: 'serving_default' },
          inputs: { [INPUT]: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 1 }] }, string_val: [jpeg] } },
        },
        bearer(PRIMARY_KEY),
      );
      const out = res.outputs[OUTPUT];
      assert.equal(out.dtype, 'DT_FLOAT');
      assert.deepEqual(
        out.tensor_shape.dim.map((d: { size: string }) => Number(d.size)),
        [1, 1000],
      );
      assert.equal(out.float_val.length, 1000, 'float outputs travel in float_val by default');
      const ours = await client.scoreFile(photo('coral/cat_720p.jpg'));
      assert.deepEqual(top5(out.float_val), top5(ours.outputs[OUTPUT].data));

      // float_val input, tensor_content output on request
      const preset = PRESETS.mobilenetv2;
      const { data } = await preprocessImages([jpeg], preset, imageLayoutFor(mobilenetModel().inputs[0], preset));
      const res2 = await unary(
        stub,
        'Predict',
        {
          inputs: {
            [INPUT]: {
              dtype: 'DT_FLOAT',
              tensor_shape: { dim: [{ size: 1 }, { size: 3 }, { size: 224 }, { size: 224 }] },
              float_val: Array.from(data),
            },
          },
          output_filter: [OUTPUT],
        },
        bearer(PRIMARY_KEY, { 'x-accel-output-encoding': 'tensor_content' }),
      );
      const tc: Buffer = res2.outputs[OUTPUT].tensor_content;
      assert.equal(tc.length, 4000);
      const floats = new Float32Array(tc.buffer.slice(tc.byteOffset, tc.byteOffset + tc.length));
      assert.deepEqual(top5(floats), top5(out.float_val));
    } finally {
      stub.close();
    }
  });

  it('GetModelMetadata returns the serving_default SignatureDef packed in Any', async () => {
    const sig = await client.getModelMetadata();
    assert.deepEqual(sig.inputs, [{ name: INPUT, dtype: 'float32', shape: ['batch_size', 3, 224, 224] }]);
    assert.deepEqual(sig.outputs, [{ name: OUTPUT, dtype: 'float32', shape: ['batch_size', 1000] }]);
    const stub = tfServingStub(endpoint.port);
    const res = await unary(stub, 'GetModelMetadata', { metadata_field: ['signature_def'] }, bearer(PRIMARY_KEY));
    stub.close();
    assert.equal(res.metadata.signature_def.type_url, 'type.googleapis.com/tensorflow.serving.SignatureDefMap');
    assert.equal(res.model_spec.version.value, '1');
  });

  it('health reports SERVING for "", the service name and PredictionService', async () => {
    for (const name of ['', 'mnv2', 'tensorflow.serving.PredictionService'])
      assert.equal(await healthCheck(endpoint.port, name), 'SERVING');
  });

  it('REST: POST /v1/models/<name>:predict with {"b64"} instances', async () => {
    const b64 = fs.readFileSync(photo('coral/parrot.jpg')).toString('base64');
    const res = await fetch(`http://127.0.0.1:${endpoint.restPort}/v1/models/mnv2:predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PRIMARY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ b64 }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { predictions: number[][] };
    assert.equal(body.predictions.length, 1);
    assert.equal(top1(Float32Array.from(body.predictions[0])), 88);
    const denied = await fetch(`http://127.0.0.1:${endpoint.restPort}/v1/models/mnv2:predict`, {
      method: 'POST',
      body: JSON.stringify({ instances: [{ b64 }] }),
    });
    assert.equal(denied.status, 401);
    const wrongInput = await fetch(`http://127.0.0.1:${endpoint.restPort}/v1/models/mnv2:predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PRIMARY_KEY}` },
      body: JSON.stringify({ instances: [{ images: { b64 } }] }),
    });
    assert.equal(wrongInput.status, 400);
  });
});
