// Every error a client can meet on the wire, with its status code and a message that names the fix.
import * as grpc from '@grpc/grpc-js';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { sha256Hex } from '../../../src/emulator/frontend/auth';
import { DevicePool } from '../../../src/emulator/runtime/devicePool';
import { startServiceEndpoint, type ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { mobilenetPath } from '../../support/paths';
import { INPUT, OUTPUT, PRIMARY_KEY, mobilenetModel, photo, startMobilenet } from './endpointHarness';
import { bearer, rawPredict, tfServingStub, unary } from './wireClients';

const jpeg = () => fs.readFileSync(photo('coral/parrot.jpg'));
const image = (bytes: Buffer | string) => ({
  dtype: 'DT_STRING',
  tensor_shape: { dim: [{ size: 1 }] },
  string_val: [bytes],
});
const floats = (dims: number[], extra: object = {}) => ({
  dtype: 'DT_FLOAT',
  tensor_shape: { dim: dims.map((size) => ({ size })) },
  tensor_content: Buffer.alloc(dims.reduce((a, b) => a * b, 1) * 4),
  ...extra,
});

/** A PNG whose header claims `w`×`h` pixels (CRC fixed up), with a tiny body. */
async function pngClaiming(w: number, h: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

describe('error statuses', () => {
  let endpoint: ServiceEndpoint;
  let stub: any;
  before(async () => {
    endpoint = await startMobilenet({ maxReceiveBytes: 2 * 1024 * 1024 });
    stub = tfServingStub(endpoint.port);
  });
  after(async () => {
    stub.close();
    await endpoint.stop();
  });

  const expectStatus = async (request: object, status: grpc.status, pattern: RegExp, md = bearer(PRIMARY_KEY)) => {
    await assert.rejects(unary(stub, 'Predict', request, md), (e: grpc.ServiceError) => {
      assert.equal(e.code, status, `${grpc.status[e.code]}: ${e.details}`);
      assert.match(e.details, pattern);
      return true;
    });
  };

  it('wrong input name → INVALID_ARGUMENT naming the valid inputs', () =>
    expectStatus(
      { inputs: { 'Placeholder:0': image(jpeg()) } },
      grpc.status.INVALID_ARGUMENT,
      /Unknown input "Placeholder:0"\. Valid input names: "input"/,
    ));
  it('wrong output name → INVALID_ARGUMENT naming the valid outputs', () =>
    expectStatus(
      { inputs: { [INPUT]: image(jpeg()) }, output_filter: ['output_alias'] },
      grpc.status.INVALID_ARGUMENT,
      /Unknown output "output_alias".*"output"/,
    ));
  it('no inputs → INVALID_ARGUMENT', () => expectStatus({}, grpc.status.INVALID_ARGUMENT, /no inputs.*"input"/));
  it('undecodable bytes → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: image(Buffer.from('definitely not an image')) } },
      grpc.status.INVALID_ARGUMENT,
      /could not be decoded as JPEG, PNG/,
    ));
  it('base64 text instead of bytes → INVALID_ARGUMENT with a hint', () =>
    expectStatus(
      { inputs: { [INPUT]: image(Buffer.from(jpeg().toString('base64'))) } },
      grpc.status.INVALID_ARGUMENT,
      /base64/,
    ));
  it('truncated JPEG → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: image(jpeg().subarray(0, 5000)) } },
      grpc.status.INVALID_ARGUMENT,
      /could not be decoded/,
    ));
  it('decompression bomb → INVALID_ARGUMENT naming the pixel limit', async () =>
    expectStatus(
      { inputs: { [INPUT]: image(await pngClaiming(100_000, 100_000)) } },
      grpc.status.INVALID_ARGUMENT,
      /pixel limit/,
    ));
  it('wrong dtype → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: { ...floats([1, 3, 224, 224]), dtype: 'DT_INT32' } } },
      grpc.status.INVALID_ARGUMENT,
      /expects DT_FLOAT.*got DT_INT32/,
    ));
  it('wrong shape (NHWC for an NCHW model) → INVALID_ARGUMENT suggesting the transpose', () =>
    expectStatus(
      { inputs: { [INPUT]: floats([1, 224, 224, 3]) } },
      grpc.status.INVALID_ARGUMENT,
      /expects shape \[batch_size,3,224,224\].*got \[1,224,224,3\].*transpose/,
    ));
  it('tensor_content of the wrong length → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: floats([1, 3, 224, 224], { tensor_content: Buffer.alloc(12) }) } },
      grpc.status.INVALID_ARGUMENT,
      /holds 12 bytes.*needs 602112/,
    ));
  it('missing tensor_shape → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: { dtype: 'DT_FLOAT', float_val: [1, 2, 3] } } },
      grpc.status.INVALID_ARGUMENT,
      /no tensor_shape/,
    ));
  it('DT_STRING shape that disagrees with string_val → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: { ...image(jpeg()), tensor_shape: { dim: [{ size: 2 }] } } } },
      grpc.status.INVALID_ARGUMENT,
      /shape must be \[1\]/,
    ));
  it('another model name → NOT_FOUND; bad signature → INVALID_ARGUMENT; other version → NOT_FOUND', async () => {
    await expectStatus(
      { model_spec: { name: 'resnet' }, inputs: { [INPUT]: image(jpeg()) } },
      grpc.status.NOT_FOUND,
      /serves service "mnv2"/,
    );
    await expectStatus(
      { model_spec: { signature_name: 'predict_images' }, inputs: { [INPUT]: image(jpeg()) } },
      grpc.status.INVALID_ARGUMENT,
      /serving_default/,
    );
    await expectStatus(
      { model_spec: { version: { value: 7 } }, inputs: { [INPUT]: image(jpeg()) } },
      grpc.status.NOT_FOUND,
      /version 1/,
    );
  });
  it('unknown output encoding → INVALID_ARGUMENT', () =>
    expectStatus(
      { inputs: { [INPUT]: image(jpeg()) } },
      grpc.status.INVALID_ARGUMENT,
      /float_val" or "tensor_content/,
      bearer(PRIMARY_KEY, { 'x-accel-output-encoding': 'json' }),
    ));
  it('bytes that are not a PredictRequest → INVALID_ARGUMENT', async () => {
    const client = new grpc.Client(`127.0.0.1:${endpoint.port}`, grpc.credentials.createInsecure());
    const r = await rawPredict(client, Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]), bearer(PRIMARY_KEY));
    client.close();
    assert.equal(r.code, grpc.status.INVALID_ARGUMENT);
    assert.match(r.details, /not a valid tensorflow\.serving\.PredictRequest/);
  });
  it('a message above the receive limit → RESOURCE_EXHAUSTED', () =>
    expectStatus({ inputs: { [INPUT]: floats([4, 3, 224, 224]) } }, grpc.status.RESOURCE_EXHAUSTED, /larger than max/));
  it('GetModelMetadata with an unsupported field → INVALID_ARGUMENT', async () => {
    await assert.rejects(
      unary(stub, 'GetModelMetadata', { metadata_field: ['graph'] }, bearer(PRIMARY_KEY)),
      (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /signature_def/.test(e.details),
    );
  });
  it('the output is unchanged after all of that', async () => {
    const res = await unary(stub, 'Predict', { inputs: { [INPUT]: image(jpeg()) } }, bearer(PRIMARY_KEY));
    assert.equal(res.outputs[OUTPUT].float_val.length, 1000);
  });
});

describe('queue and loading states', () => {
  it('a full queue answers RESOURCE_EXHAUSTED and the rest still succeed', async () => {
    const endpoint = await startMobilenet({ maxQueue: 1 });
    const stub = tfServingStub(endpoint.port);
    const calls = Array.from({ length: 24 }, () =>
      unary(stub, 'Predict', { inputs: { [INPUT]: image(jpeg()) } }, bearer(PRIMARY_KEY)).then(
        () => 'OK',
        (e: grpc.ServiceError) => {
          assert.match(e.details, /requests waiting.*more replicas/);
          return grpc.status[e.code];
        },
      ),
    );
    const results = await Promise.all(calls);
    stub.close();
    await endpoint.stop();
    assert.ok(results.includes('RESOURCE_EXHAUSTED'), results.join(','));
    assert.ok(results.includes('OK'));
    assert.deepEqual([...new Set(results)].sort(), ['OK', 'RESOURCE_EXHAUSTED']);
  });

  it('UNAVAILABLE while the model is loading (the model file arrives through a FIFO we hold back)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-fifo-'));
    const fifo = path.join(dir, 'model.onnx');
    execFileSync('mkfifo', [fifo]);
    const pool = new DevicePool(2);
    const endpoint = await startServiceEndpoint(
      {
        model: { ...mobilenetModel(), modelPath: fifo },
        port: 0,
        replicas: 1,
        auth: { enabled: false, keyHashes: [] },
      },
      pool,
    );
    const stub = tfServingStub(endpoint.port);
    try {
      assert.equal(endpoint.status().state, 'Loading');
      await assert.rejects(
        unary(stub, 'Predict', { inputs: { [INPUT]: image(jpeg()) } }),
        (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE && /still loading/.test(e.details),
      );
      fs.writeFileSync(fifo, fs.readFileSync(mobilenetPath));
      await endpoint.ready;
      const res = await unary(stub, 'Predict', { inputs: { [INPUT]: image(jpeg()) } });
      assert.equal(res.outputs[OUTPUT].float_val.length, 1000);
    } finally {
      stub.close();
      await endpoint.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(pool.held('mnv2'), [], 'stop releases the device');
  });

  it('a model that fails to load leaves the endpoint Failed, answering UNAVAILABLE with the reason', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-bad-'));
    const bad = path.join(dir, 'bad.onnx');
    fs.writeFileSync(bad, 'not an onnx model');
    const pool = new DevicePool(1);
    const endpoint = await startServiceEndpoint(
      { model: { ...mobilenetModel(), modelPath: bad }, port: 0, replicas: 1, auth: { enabled: false, keyHashes: [] } },
      pool,
    );
    await assert.rejects(endpoint.ready, /could not load its model/);
    assert.equal(endpoint.status().state, 'Failed');
    const stub = tfServingStub(endpoint.port);
    await assert.rejects(
      unary(stub, 'Predict', { inputs: { [INPUT]: image(jpeg()) } }),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE && /failed to start/.test(e.details),
    );
    stub.close();
    await endpoint.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('no free device → Busy naming the holder; too many replicas → Unavailable', async () => {
    const pool = new DevicePool(1);
    const first = await startMobilenet({}, pool);
    await assert.rejects(
      startServiceEndpoint(
        { model: mobilenetModel('second'), port: 0, replicas: 1, auth: { enabled: true, keyHashes: [sha256Hex('k')] } },
        pool,
      ),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'Busy');
        assert.match(e.message, /"mnv2" \(device 0\)/);
        return true;
      },
    );
    await assert.rejects(
      startServiceEndpoint(
        { model: mobilenetModel('third'), port: 0, replicas: 3, auth: { enabled: false, keyHashes: [] } },
        pool,
      ),
      (e: Error & { code?: string }) => e.code === 'Unavailable',
    );
    await first.stop();
  });

  it('a port in use → Busy, and the devices are released again', async () => {
    const pool = new DevicePool(2);
    const first = await startMobilenet({}, pool);
    await assert.rejects(
      startServiceEndpoint(
        { model: mobilenetModel('clash'), port: first.port, replicas: 1, auth: { enabled: false, keyHashes: [] } },
        pool,
      ),
      (e: Error & { code?: string }) => e.code === 'Busy' && /already in use/.test(e.message),
    );
    assert.deepEqual(pool.held('clash'), []);
    await first.stop();
  });
});
