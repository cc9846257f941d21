// The pool's solo session with real inference workers (MobileNetV2, two replicas): a request that has the service
// and the machine to itself runs on the lead replica's solo session; concurrent requests and a busy machine use
// the replicas' shared sessions; a pool without a solo session never marks a job solo.
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DT, encodePredictRequest } from '../../../src/wire/wireCodec';
import { WorkerPool, type PoolOptions } from '../../../src/emulator/runtime/workerPool';
import { mobilenetPath } from '../../support/paths';

const floatRequest = () =>
  encodePredictRequest({
    inputs: new Map([
      [
        'input',
        {
          dtype: DT.FLOAT,
          shape: [1, 3, 224, 224],
          tensorContent: new Uint8Array(new Float32Array(150528).fill(0.25).buffer),
        },
      ],
    ]),
    outputFilter: [],
  });

const options = (over: Partial<PoolOptions>): PoolOptions => ({
  model: {
    serviceName: 'solo-test',
    modelName: 'mobilenetv2',
    modelVersion: 1,
    preset: 'mobilenetv2',
    inputs: [{ name: 'input', dtype: 'float32', shape: ['batch_size', 3, 224, 224] }],
    outputs: [{ name: 'output', dtype: 'float32', shape: ['batch_size', 1000] }],
  },
  modelPath: mobilenetPath,
  devices: [0, 1],
  intraOpThreads: 1,
  cores: 2,
  maxQueue: 16,
  ...over,
});

/** The solo session loads once the lead replica has been idle a while; poll for it (bounded by the test timeout). */
async function soloLoaded(pool: WorkerPool): Promise<void> {
  while (!pool.soloReady()) await new Promise((r) => setTimeout(r, 50));
}

describe('worker pool: solo session for a lone request', { timeout: 120_000 }, () => {
  let free = true;
  let pool: WorkerPool;

  before(async () => {
    pool = new WorkerPool(options({ coresAreFree: () => free }));
    await pool.ready;
    await soloLoaded(pool);
  });
  after(() => pool.stop());

  it('plans one thread per replica without spinning and a two-thread spinning solo session', () => {
    assert.deepEqual(pool.threading, {
      shared: { intraOpThreads: 1, spinning: false },
      solo: { intraOpThreads: 2, spinning: true },
      soloWhen: 'coresFree',
    });
  });

  it('a lone request on free cores runs solo, with the same answer as the shared session gives', async () => {
    const lone = await pool.submit(floatRequest(), true);
    assert.equal(lone.solo, true);
    free = false;
    const busy = await pool.submit(floatRequest(), true);
    free = true;
    assert.equal(busy.solo, false, 'another runnable thread on the machine: the shared session');
    assert.deepEqual(lone.bytes, busy.bytes, 'both sessions compute the same outputs');
  });

  it('requests that arrive together never run solo, except one that found the service idle', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.submit(floatRequest(), true)));
    assert.ok(results.filter((r) => r.solo).length <= 1, JSON.stringify(results.map((r) => r.solo)));
    assert.ok(results.some((r) => !r.solo));
  });
});

describe('worker pool without a solo session', { timeout: 120_000 }, () => {
  it('ACCEL_SOLO_SESSION=off: a lone request runs on the shared session', async () => {
    process.env.ACCEL_SOLO_SESSION = 'off';
    const pool = new WorkerPool(options({ devices: [2, 3], coresAreFree: () => true }));
    delete process.env.ACCEL_SOLO_SESSION;
    try {
      await pool.ready;
      assert.equal(pool.threading.solo, undefined);
      const r = await pool.submit(floatRequest(), true);
      assert.equal(r.solo, false);
      assert.equal(pool.soloReady(), false);
    } finally {
      await pool.stop();
    }
  });
});

describe('worker pool with ACCEL_SOLO_SESSION=always', { timeout: 120_000 }, () => {
  it('a lone request runs solo even while other threads on the machine are runnable', async () => {
    process.env.ACCEL_SOLO_SESSION = 'always';
    const pool = new WorkerPool(options({ devices: [4, 5], coresAreFree: () => false }));
    delete process.env.ACCEL_SOLO_SESSION;
    try {
      await pool.ready;
      await soloLoaded(pool);
      assert.equal((await pool.submit(floatRequest(), true)).solo, true);
    } finally {
      await pool.stop();
    }
  });
});
