// An unexpected error while serving one REST request fails that request (500, logged with its stack) and
// nothing else: the listener keeps answering. No request can make one happen on purpose any more, so the faults
// are injected: a key check and a worker pool that throw.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../../../src/domain/ports';
import type { ServedModel } from '../../../src/emulator/runtime/predictionService';
import { startRestServer, type RestServer } from '../../../src/emulator/frontend/restServer';
import type { WorkerPool } from '../../../src/emulator/runtime/workerPool';

const model: ServedModel = {
  serviceName: 'svc',
  modelName: 'm',
  modelVersion: 1,
  preset: 'none',
  inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 2] }],
};

describe('unexpected errors in the REST listener', () => {
  const errors: string[] = [];
  const logger: Logger = { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
  let server: RestServer;
  before(async () => {
    const faultyPool = {
      submit: () => {
        throw new TypeError('injected fault in the worker pool');
      },
    } as unknown as WorkerPool;
    server = await startRestServer({
      host: '127.0.0.1',
      port: 0,
      model,
      pool: faultyPool,
      maxBodyBytes: 1 << 20,
      logger,
      count: () => undefined,
      authorize: (header) => {
        if (header('x-fault') !== undefined) throw new RangeError('injected fault in the key check');
        return header('authorization') ? undefined : { kind: 'unauthenticated', message: 'no key' };
      },
    });
  });
  after(() => server.close());

  const post = (headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${server.port}/v1/models/svc:predict`, {
      method: 'POST',
      headers,
      body: '{"instances": [[1, 2]]}',
    });

  it('a throw in the synchronous part (the key check) answers 500 and is logged; the next request is answered', async () => {
    const r = await post({ 'x-fault': '1' });
    assert.equal(r.status, 500);
    assert.match(
      ((await r.json()) as { error: string }).error,
      /Internal error while serving this request; see the service log/,
    );
    assert.ok(
      errors.some((e) =>
        /REST POST \/v1\/models\/svc:predict failed: RangeError: injected fault in the key check\n\s+at /.test(e),
      ),
      errors.join('\n'),
    );
    assert.equal((await post({})).status, 401);
  });

  it('a throw after the body was parsed (in the worker pool) answers 500 and is logged; the next request is answered', async () => {
    const r = await post({ authorization: 'Bearer k' });
    assert.equal(r.status, 500);
    assert.match(
      ((await r.json()) as { error: string }).error,
      /Internal error while serving this request \(injected fault in the worker pool\)/,
    );
    assert.ok(
      errors.some((e) => /TypeError: injected fault in the worker pool/.test(e)),
      errors.join('\n'),
    );
    assert.equal((await post({})).status, 401);
  });
});
