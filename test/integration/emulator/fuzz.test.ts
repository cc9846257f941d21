// 2,400 malformed Predict requests: every one gets a clean status with a message, the server stays up and its
// memory stays bounded. Random but seeded, so a failure can be replayed.
import * as grpc from '@grpc/grpc-js';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { DT, encodePredictRequest, type WireTensor } from '../../../src/wire/wireCodec';
import { INPUT, PRIMARY_KEY, photo, startMobilenet } from './endpointHarness';
import { rng } from '../../support/random';
import { bearer, healthCheck, rawPredict } from './wireClients';

const CLEAN = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.RESOURCE_EXHAUSTED,
]);

describe('fuzzing Predict', () => {
  let endpoint: ServiceEndpoint;
  before(async () => {
    endpoint = await startMobilenet({ replicas: 2 });
  });
  after(() => endpoint.stop());

  it('2,400 malformed requests all get clean errors; the server stays up; RSS growth stays bounded', async () => {
    const rand = rng(20260122);
    const int = (n: number) => Math.floor(rand() * n);
    const jpeg = fs.readFileSync(photo('coral/cat_720p.jpg'));
    const png = fs.readFileSync(photo('skimage/chelsea.png'));
    const bmp = fs.readFileSync(photo('coral/bird.bmp'));
    const req = (t: WireTensor, name = INPUT) =>
      encodePredictRequest({ inputs: new Map([[name, t]]), outputFilter: [] });
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    const kinds: Array<[string, () => Uint8Array]> = [
      ['random bytes', () => randomBytes(int(3000))],
      ['random image bytes', () => req({ dtype: DT.STRING, shape: [1], stringVal: [randomBytes(int(5000))] })],
      ['truncated JPEG', () => req({ dtype: DT.STRING, shape: [1], stringVal: [jpeg.subarray(0, int(jpeg.length))] })],
      ['truncated PNG', () => req({ dtype: DT.STRING, shape: [1], stringVal: [png.subarray(0, int(png.length))] })],
      ['truncated BMP', () => req({ dtype: DT.STRING, shape: [1], stringVal: [bmp.subarray(0, int(bmp.length))] })],
      [
        'corrupted JPEG',
        () => {
          const b = Buffer.from(jpeg);
          for (let i = 0; i < 20; i++) b[int(b.length)] = int(256);
          return req({ dtype: DT.STRING, shape: [1], stringVal: [b] });
        },
      ],
      [
        'corrupted BMP header',
        () => {
          const b = Buffer.from(bmp);
          for (let i = 0; i < 4; i++) b[2 + int(60)] = int(256);
          return req({ dtype: DT.STRING, shape: [1], stringVal: [b] });
        },
      ],
      [
        'absurd shape',
        () =>
          req({
            dtype: DT.FLOAT,
            shape: Array.from({ length: int(8) }, () => [0, 1, 3, 224, 2 ** 31, 2 ** 40, -1, -(2 ** 40)][int(8)]),
            tensorContent: randomBytes(int(64)),
          }),
      ],
      [
        'huge dims, tiny payload',
        () => req({ dtype: DT.FLOAT, shape: [2 ** 20, 3, 224, 224], floatVal: new Float32Array(4) }),
      ],
      ['zero batch', () => req({ dtype: DT.FLOAT, shape: [0, 3, 224, 224] })],
      [
        'wrong dtype',
        () => req({ dtype: int(30), shape: [1, 3, 224, 224], tensorContent: randomBytes(int(2) ? 602112 : 1000) }),
      ],
      [
        'float_val count mismatch',
        () => req({ dtype: DT.FLOAT, shape: [1, 3, 224, 224], floatVal: new Float32Array(int(1000)) }),
      ],
      ['string shape mismatch', () => req({ dtype: DT.STRING, shape: [int(5) + 2, 3], stringVal: [jpeg] })],
      [
        'wrong input name',
        () =>
          req(
            { dtype: DT.STRING, shape: [1], stringVal: [jpeg] },
            Buffer.from(randomBytes(1 + int(12))).toString('latin1'),
          ),
      ],
      [
        'bit-flipped request',
        () => {
          const b = Buffer.from(req({ dtype: DT.STRING, shape: [1], stringVal: [jpeg.subarray(0, 2000)] }));
          for (let i = 0; i < 3; i++) b[int(b.length)] ^= 1 << int(8);
          return b;
        },
      ],
    ];
    const client = new grpc.Client(`127.0.0.1:${endpoint.port}`, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': -1,
    });
    const md = bearer(PRIMARY_KEY);
    const total = 2400;
    const seen = new Map<string, number>();
    let rssAfterWarmup = 0;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const [kind, make] = kinds[i % kinds.length];
        const r = await rawPredict(client, make(), md);
        assert.ok(CLEAN.has(r.code), `${kind} #${i}: ${grpc.status[r.code]} ${r.details}`);
        if (r.code !== grpc.status.OK) assert.ok(r.details.length > 10, `${kind}: empty message`);
        seen.set(`${kind}: ${grpc.status[r.code]}`, (seen.get(`${kind}: ${grpc.status[r.code]}`) ?? 0) + 1);
        if (i === 300) rssAfterWarmup = process.memoryUsage().rss;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    client.close();
    const rssEnd = process.memoryUsage().rss;
    console.log(
      JSON.stringify({
        rssAfterWarmupMiB: rssAfterWarmup >> 20,
        rssEndMiB: rssEnd >> 20,
        outcomes: Object.fromEntries(seen),
      }),
    );
    assert.equal(await healthCheck(endpoint.port), 'SERVING');
    assert.equal(endpoint.status().state, 'Running');
    assert.ok(rssEnd - rssAfterWarmup < 400 * 1024 * 1024, `RSS grew by ${(rssEnd - rssAfterWarmup) >> 20} MiB`);
  });
});
