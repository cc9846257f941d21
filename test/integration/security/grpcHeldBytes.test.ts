// The per-service budget of request bytes held in flight (received, queued or running): a Predict that would pass
// it is answered RESOURCE_EXHAUSTED at once, and the bytes of answered calls are released again.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { DT, encodePredictRequest } from '../../../src/wire/wireCodec';
import type { ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { INPUT, PRIMARY_KEY, photo, startMobilenet } from '../emulator/endpointHarness';
import { bearer, rawPredict } from '../emulator/wireClients';

const BUDGET = 1024 * 1024;
let endpoint: ServiceEndpoint;
let client: grpc.Client;

const jpegRequest = () =>
  encodePredictRequest({
    inputs: new Map([
      [INPUT, { dtype: DT.STRING, shape: [1], stringVal: [fs.readFileSync(photo('coral/parrot.jpg'))] }],
    ]),
    outputFilter: [],
  });

before(async () => {
  endpoint = await startMobilenet({ maxHeldBytes: BUDGET });
  client = new grpc.Client(`127.0.0.1:${endpoint.port}`, grpc.credentials.createInsecure());
});

after(async () => {
  client.close();
  await endpoint.stop();
});

test(
  'a request larger than the held-bytes budget is refused with RESOURCE_EXHAUSTED; smaller ones keep being served',
  { timeout: 60_000 },
  async () => {
    const big = encodePredictRequest({
      inputs: new Map([
        [INPUT, { dtype: DT.FLOAT, shape: [2, 3, 224, 224], tensorContent: new Uint8Array(2 * 3 * 224 * 224 * 4) }],
      ]),
      outputFilter: [],
    });
    assert.ok(big.length > BUDGET && jpegRequest().length < BUDGET);
    const refused = await rawPredict(client, big, bearer(PRIMARY_KEY));
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED, refused.details);
    assert.match(refused.details, /would pass its 1\.0 MiB limit.*Retry after a moment, or send smaller batches/);
    // Served calls give their bytes back: calls in a row that together hold more than the budget all pass.
    for (let i = 0; i < 4; i++) {
      const ok = await rawPredict(client, jpegRequest(), bearer(PRIMARY_KEY));
      assert.equal(ok.code, grpc.status.OK, ok.details);
    }
  },
);
