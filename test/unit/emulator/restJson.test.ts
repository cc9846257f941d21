// REST JSON bounds (restJson.ts) and the caller check of the REST port (restGuard.ts), without a server: nesting
// depth before parsing, ragged lists (also those whose total matches the first row's shape), tensors that claim
// more numbers than the body holds, the Origin/Host rules per bind address.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServedModel } from '../../../src/emulator/runtime/predictionService';
import {
  MAX_JSON_DEPTH,
  checkJsonDepth,
  parseRestBody,
  requestFromJson,
} from '../../../src/emulator/frontend/restJson';
import { restRefusal, splitHostHeader } from '../../../src/emulator/frontend/restGuard';
import { DT, decodePredictRequest } from '../../../src/wire/wireCodec';

const model = (shape: Array<number | string>, name = 'x'): ServedModel => ({
  serviceName: 'svc',
  modelName: 'm',
  modelVersion: 1,
  preset: 'none',
  inputs: [{ name, dtype: 'float32', shape }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 2] }],
});
const bytes = (text: string) => Buffer.from(text, 'utf8');
const build = (m: ServedModel, text: string) => requestFromJson(m, parseRestBody(bytes(text)), Buffer.byteLength(text));

describe('REST JSON bounds', () => {
  it('refuses nesting deeper than the limit before parsing; brackets in strings do not count', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    assert.doesNotThrow(() => checkJsonDepth(bytes(nested(MAX_JSON_DEPTH))));
    assert.throws(() => checkJsonDepth(bytes(nested(MAX_JSON_DEPTH + 1))), /deeper than 32 levels/);
    assert.throws(
      () => checkJsonDepth(bytes(`{"a": ${'['.repeat(10_000_000)}`)),
      /deeper than 32 levels \(at byte 37\)/,
    );
    assert.doesNotThrow(() => checkJsonDepth(bytes(`{"s": "${'['.repeat(1000)}\\"${'{'.repeat(1000)}"}`)));
  });

  it('names bad UTF-8 and bad JSON', () => {
    assert.throws(() => parseRestBody(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), /not valid UTF-8/);
    assert.throws(() => parseRestBody(bytes('{"instances": [1,')), /not valid JSON/);
  });

  it('builds a dense float tensor from rectangular lists', () => {
    const req = decodePredictRequest(
      build(model([-1, 2, 3]), '{"instances": [[[1,2,3],[4,5,6]], [[7,8,9],[10,11,12]]]}'),
    );
    const t = req.inputs.get('x')!;
    assert.equal(t.dtype, DT.FLOAT);
    assert.deepEqual(t.shape, [2, 2, 3]);
    assert.deepEqual(Array.from(t.floatVal!), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('refuses ragged lists, also when their total matches the shape of the first row', () => {
    // [[1,2],[3,4,5],[6]]: 3 rows, the first of 2, six numbers in all = 3 x 2. The old flat count accepted it.
    assert.throws(
      () => build(model([-1, -1]), '{"instances": [[1,2],[3,4,5],[6]]}'),
      /ragged: instance 1 is a list of 3, but the first element at this depth is a list of 2/,
    );
    assert.throws(
      () => build(model([-1, -1, -1]), '{"inputs": {"x": [[[1],[2]], [[3],[4,5]]]}}'),
      /ragged: instance 1\[1\] is a list of 2/,
    );
    assert.throws(() => build(model([-1, -1]), '{"instances": [[1,2],3]}'), /ragged: instance 1 is the number 3/);
    assert.throws(() => build(model([-1, -1]), '{"instances": [[1,2],[3,"4"]]}'), /instance 1\[1\] is a string/);
  });

  it('refuses a tensor whose first elements claim more numbers than the body holds, before allocating it', () => {
    // 3 rows claimed by the outer list, each as long as the first: 3 x 100000 numbers, but the body holds ~100000.
    const row = `[${Array.from({ length: 100_000 }, () => '1').join(',')}]`;
    assert.throws(
      () => build(model([-1, -1, -1]), `{"instances": [[${row}, [1], [2], [3], [4], [5]]]}`),
      /more than the body holds/,
    );
  });

  it('checks the model input before building: unknown names, missing inputs, wrong shapes, mixed images', () => {
    assert.throws(
      () => build(model([-1, 2]), `{"inputs": {"${'n'.repeat(500)}": [[1, 2]]}}`),
      /has no input "n{64}\.\.\."; its inputs are "x"/,
    );
    assert.throws(
      () => build(model([-1, 2]), '{"instances": [{"x": [1, 2]}, {"z": [1, 2]}]}'),
      /Instance 1 has no value for input "x"/,
    );
    assert.throws(() => build(model([-1, 2]), '{"instances": [[1, 2, 3]]}'), /expects shape/);
    assert.throws(
      () => build(model([-1]), '{"instances": [{"b64": "AAAA"}, [1]]}'),
      /instance 1 is a list of 1, but instance 0 is \{"b64"/,
    );
  });
});

describe('REST caller check', () => {
  it("refuses any Origin header on every bind; a program's fetch (sec-fetch-mode, no Origin) is served", () => {
    for (const bound of ['127.0.0.1', '0.0.0.0', '10.1.2.3', '::']) {
      assert.match(
        restRefusal({ origin: 'https://evil.example', host: `127.0.0.1:8501` }, bound, 8501) ?? '',
        /web browsers are refused/,
      );
      assert.match(
        restRefusal({ origin: 'null', host: `127.0.0.1:8501` }, bound, 8501) ?? '',
        /web browsers are refused/,
      );
      assert.equal(restRefusal({ 'sec-fetch-mode': 'cors', host: `127.0.0.1:8501` }, bound, 8501), undefined);
    }
  });

  it('on a loopback bind serves only loopback Host names with the listening port (or none)', () => {
    for (const host of [
      '127.0.0.1:8501',
      'localhost:8501',
      'LOCALHOST:8501',
      '[::1]:8501',
      '127.0.0.2:8501',
      'localhost',
      undefined,
    ]) {
      assert.equal(restRefusal({ host }, '127.0.0.1', 8501), undefined, `Host ${host}`);
    }
    for (const host of [
      'evil.example:8501',
      'localhost.evil.example:8501',
      '127.0.0.1:8502',
      '10.0.0.1:8501',
      '127.0.0.1.nip.io:8501',
      '[::1',
      'a:b:c',
      '',
    ]) {
      assert.match(
        restRefusal({ host }, '127.0.0.1', 8501) ?? '',
        /only answers requests addressed to the local machine/,
        `Host ${host}`,
      );
    }
  });

  it('on a non-loopback bind (a standalone image) leaves the Host to the network: DNS names and proxies reach it', () => {
    for (const bound of ['0.0.0.0', '::', '10.1.2.3'])
      assert.equal(restRefusal({ host: 'models.example.com' }, bound, 8501), undefined);
  });

  it('splits Host headers', () => {
    assert.deepEqual(splitHostHeader('[::1]:80'), { name: '::1', port: 80 });
    assert.deepEqual(splitHostHeader('localhost'), { name: 'localhost', port: undefined });
    assert.equal(splitHostHeader('a:b:c'), undefined);
  });
});
