// The REST JSON worker thread (restJsonThread.ts): a body that parses into more than the worker's heap cap fails
// that request with a clear 400 (the worker dies, not the process), and the next request gets a fresh worker.
// The cap is lowered to 32 MB here so a 4 MB body of one-element lists (a million small arrays) exceeds it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { isAccelError } from '../../../src/domain/errors';
import type { ServedModel } from '../../../src/emulator/runtime/predictionService';
import { RestJsonThread } from '../../../src/emulator/frontend/restJsonThread';
import { DT, decodePredictRequest } from '../../../src/wire/wireCodec';

const model: ServedModel = {
  serviceName: 'svc',
  modelName: 'm',
  modelVersion: 1,
  preset: 'none',
  inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 1] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
};
const warnings: string[] = [];
const thread = new RestJsonThread(
  model,
  { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
  32,
);
after(() => thread.close());

test(
  'a body that parses into more than the heap cap fails with 400; the next request gets a fresh worker',
  { timeout: 60_000 },
  async () => {
    const small = Buffer.from('{"instances": [[1], [2]]}');
    assert.deepEqual(
      decodePredictRequest(await thread.run('request', Buffer.from(small))).inputs.get('x')?.shape,
      [2, 1],
    );

    const huge = Buffer.from(`{"instances": [${'[0],'.repeat(2_000_000)}[0]]}`);
    await assert.rejects(thread.run('request', huge), (e: unknown) => {
      assert.ok(isAccelError(e) && e.code === 'InvalidArgument', String(e));
      assert.match(e.message, /holds more values than the REST parser's 32 MB limit allows/);
      return true;
    });
    assert.match(warnings.join('\n'), /REST JSON worker ended .* with 1 request\(s\) in it/);

    const again = decodePredictRequest(await thread.run('request', Buffer.from(small))).inputs.get('x');
    assert.equal(again?.dtype, DT.FLOAT);
    assert.deepEqual(Array.from(again!.floatVal!), [1, 2]);
  },
);
