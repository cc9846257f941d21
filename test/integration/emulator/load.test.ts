// Sustained load: 2,000 JPEG requests at concurrency 16 with zero errors, and the health RPC answering while
// inference is busy (the order of completion is asserted, never a duration).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PredictionClient } from '../../../src/client/predictionClient';
import { topK } from '../../../src/client/topK';
import type { ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { OUTPUT, PRIMARY_KEY, imagenetLabels, photo, startMobilenet } from './endpointHarness';
import { healthCheck } from './wireClients';

describe('load', () => {
  let endpoint: ServiceEndpoint;
  before(async () => {
    endpoint = await startMobilenet({ replicas: 2 });
  });
  after(() => endpoint.stop());

  it('2,000 requests at concurrency 16: zero errors, every answer right', async () => {
    const client = new PredictionClient('127.0.0.1', endpoint.port, false, PRIMARY_KEY, 'mnv2', undefined, {
      attempts: 1,
      deadlineMs: 60_000,
    });
    const images: Array<[Buffer, number]> = [
      [fs.readFileSync(photo('coral/parrot.jpg')), 88],
      [fs.readFileSync(photo('skimage/coffee.png')), 967],
      [fs.readFileSync(photo('coral/bird.bmp')), 19],
    ];
    let next = 0;
    let done = 0;
    const total = 2000;
    const worker = async () => {
      while (next < total) {
        const [bytes, expected] = images[next++ % images.length];
        const r = await client.scoreImage(bytes);
        assert.equal(topK(r.outputs[OUTPUT].data, imagenetLabels(), 1)[0].index, expected);
        done++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    client.close();
    assert.equal(done, total);
    const status = endpoint.status();
    assert.equal(status.errors, 0);
    assert.ok(status.requests >= total);
  });

  it('the health RPC answers while an inference backlog is still running', async () => {
    const client = new PredictionClient('127.0.0.1', endpoint.port, false, PRIMARY_KEY, 'mnv2', undefined, {
      attempts: 1,
      deadlineMs: 60_000,
    });
    const jpeg = fs.readFileSync(photo('coral/cat_720p.jpg'));
    await client.scoreImage(jpeg); // channel and metadata warm
    let finished = 0;
    const backlog = Array.from({ length: 48 }, () => client.scoreImage(jpeg).then(() => finished++));
    const started = performance.now();
    const health = await healthCheck(endpoint.port, 'mnv2');
    const healthMs = performance.now() - started;
    const finishedWhenHealthAnswered = finished;
    await Promise.all(backlog);
    client.close();
    console.log(JSON.stringify({ healthMs: Number(healthMs.toFixed(2)), finishedWhenHealthAnswered, backlog: 48 }));
    assert.equal(health, 'SERVING');
    assert.ok(finishedWhenHealthAnswered < 48, 'health answered only after the whole backlog');
  });
});
