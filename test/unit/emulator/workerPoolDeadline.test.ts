// The worker pool with a real inference worker (MobileNetV2): a call's deadline and cancellation reach the job
// wherever it is: refused before dispatch, dropped from the queue, stopped by the worker before its next image.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { AccelError } from '../../../src/domain/errors';
import type { Logger } from '../../../src/domain/ports';
import { DT, encodePredictRequest } from '../../../src/wire/wireCodec';
import { WorkerPool } from '../../../src/emulator/runtime/workerPool';
import { imagesDir, mobilenetPath } from '../../support/paths';

const lines: string[] = [];
const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };

const request = (...images: Buffer[]) =>
  encodePredictRequest({
    inputs: new Map([['input', { dtype: DT.STRING, shape: [images.length], stringVal: images }]]),
    outputFilter: [],
  });

const cancelledWith = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AccelError && e.code === 'Cancelled', String(e));
  assert.match(e.message, pattern);
  return true;
};

describe('worker pool: deadlines and cancellation', { timeout: 120_000 }, () => {
  let pool: WorkerPool;
  const parrot = fs.readFileSync(path.join(imagesDir, 'coral', 'parrot.jpg'));
  let slow: Uint8Array;

  before(async () => {
    pool = new WorkerPool({
      model: {
        serviceName: 'pool-test',
        modelName: 'mobilenetv2',
        modelVersion: 1,
        preset: 'mobilenetv2',
        inputs: [{ name: 'input', dtype: 'float32', shape: ['batch_size', 3, 224, 224] }],
        outputs: [{ name: 'output', dtype: 'float32', shape: ['batch_size', 1000] }],
      },
      modelPath: mobilenetPath,
      devices: [0],
      intraOpThreads: 1,
      maxQueue: 8,
      depth: 1,
      logger,
    });
    await pool.ready;
    const big = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#468' } })
      .jpeg()
      .toBuffer();
    slow = request(...new Array(64).fill(big));
  });
  after(() => pool.stop());

  it('a call already past its deadline is never dispatched', async () => {
    await assert.rejects(
      pool.submit(request(parrot), false, { deadline: Date.now() - 5 }),
      cancelledWith(/deadline passed \d+ ms ago/),
    );
    assert.ok((await pool.submit(request(parrot), false, { deadline: Date.now() + 60_000 })).bytes.length > 4000);
  });

  it('a cancelled job leaves the queue at once; a cancelled running batch stops before its next image', async () => {
    const cancels: Array<() => void> = [];
    const control = () => ({ onCancel: (f: () => void) => cancels.push(f) });
    const running = pool.submit(slow, false, control());
    const queued = pool.submit(request(parrot), false, control());
    assert.equal(pool.queued(), 1, 'depth 1: the second job waits in the host');
    cancels[1]();
    await assert.rejects(queued, cancelledWith(/client cancelled/));
    assert.equal(pool.queued(), 0);
    cancels[0]();
    await assert.rejects(running, cancelledWith(/client cancelled/));
    // The worker saw the flag before its next image (or was replaced past the grace): either way it is free again.
    assert.ok((await pool.submit(request(parrot), false)).bytes.length > 4000);
    const log = lines.join('\n');
    assert.match(
      log,
      /cancelled the call; the request was abandoned (before image (\d+) of 64|before it started)|outlived its call.*replacing the worker/,
    );
  });
});
