// Hostile gRPC messages against the real emulator host (deployed through the real CLI, spoken to over loopback):
// huge calls without a valid key are refused on their metadata, before their bodies are buffered; a 32 MiB int64_val
// "bomb" for a float input is refused on its dtype/shape without being decoded; the host's peak memory (VmHWM of the
// real host process, reset before each attack) stays bounded and every other service keeps serving.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import { after, before, test } from 'node:test';
import * as protobuf from 'protobufjs';
import { PredictionClient } from '../../../src/client/predictionClient';
import { readHostInfo } from '../../../src/emulator/host/hostControl';
import { MAX_STREAMS_PER_CONNECTION } from '../../../src/emulator/frontend/serviceEndpoint';
import { DT, encodePredictRequest } from '../../../src/wire/wireCodec';
import { isProcessAlive } from '../../../src/processAlive';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const MiB = 1024 * 1024;
const home = new AccelHome({ ACCEL_DEVICES: '2' });
const W = ['--workspace', 'hostile'];
const parrot = PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!.file;
let guarded: { port: number; key: string };
let bystander: { port: number; key: string };
let hostPid: number;

/** Resets the host's peak RSS (clear_refs 5) and returns its current RSS, MiB. */
function resetPeak(pid: number): number {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return memory(pid).rss;
}

function memory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)![1]) / 1024;
  return { rss: mib('VmRSS'), hwm: mib('VmHWM') };
}

/** One Predict of raw bytes on a connection of its own; resolves with the status. */
function predictOnOwnConnection(
  port: number,
  bytes: Buffer,
  md: grpc.Metadata,
): Promise<{ code: grpc.status; details: string; ms: number }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  });
  const started = performance.now();
  return new Promise((resolve) => {
    client.makeUnaryRequest<Buffer, Buffer>(
      '/tensorflow.serving.PredictionService/Predict',
      (b) => b,
      (b) => b,
      bytes,
      md,
      { deadline: Date.now() + 120_000 },
      (err) => {
        client.close();
        resolve({
          code: err ? err.code : grpc.status.OK,
          details: err?.details ?? '',
          ms: performance.now() - started,
        });
      },
    );
  });
}

function withKey(key: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${key}`);
  return md;
}

/** Both services still answer a real photo with the right class. */
async function bothServicesServe(): Promise<void> {
  assert.equal(isProcessAlive(hostPid), true, 'the emulator host exited');
  for (const svc of [guarded, bystander]) {
    const client = new PredictionClient('127.0.0.1', svc.port, false, svc.key, undefined, undefined, { attempts: 1 });
    try {
      const r = await client.scoreFile(parrot, { inputName: 'input' });
      const scores = Array.from(r.outputs.output.data as ArrayLike<number>);
      assert.equal(scores.indexOf(Math.max(...scores)), 88);
    } finally {
      client.close();
    }
  }
}

/** A PredictRequest for `input` with dtype, shape [1,3,224,224] and 32 MiB of int64_val (packed or not). */
function int64Bomb(dtype: number, packed: boolean): Buffer {
  const t = protobuf.Writer.create();
  t.uint32((1 << 3) | 0).int32(dtype);
  t.uint32((2 << 3) | 2).fork();
  for (const d of [1, 3, 224, 224])
    t.uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int64(d)
      .ldelim();
  t.ldelim();
  let values: Buffer;
  if (packed) {
    t.uint32((10 << 3) | 2).uint32(32 * MiB);
    values = Buffer.alloc(32 * MiB, 0x01); // 32 Mi one-byte varints
  } else {
    values = Buffer.alloc(32 * MiB);
    for (let i = 0; i < values.length; i += 2) {
      values[i] = (10 << 3) | 0; // tag, then a one-byte varint: 16 Mi elements
      values[i + 1] = 0x01;
    }
  }
  const head = Buffer.from(t.finish());
  const tensor = Buffer.concat([head, values]);
  const entry = protobuf.Writer.create()
    .uint32((1 << 3) | 2)
    .string('input')
    .uint32((2 << 3) | 2)
    .uint32(tensor.length)
    .finish();
  const outer = protobuf.Writer.create()
    .uint32((2 << 3) | 2)
    .uint32(entry.length + tensor.length)
    .finish();
  return Buffer.concat([Buffer.from(outer), Buffer.from(entry), tensor]);
}

before(async () => {
  await setupImage(home, 'hostile', mobilenetPath);
  const deploy = async (name: string) => {
    const svc = (await home.run(['service', 'deploy', name, '--image', 'mobilenet-image', '--json', ...W])).json;
    const key = (await home.run(['service', 'keys', name, '--json', ...W])).json.primaryKey;
    return { port: svc.port as number, key: key as string };
  };
  guarded = await deploy('guarded');
  bystander = await deploy('bystander');
  hostPid = readHostInfo(home.home)!.pid;
});

after(async () => {
  await home.cleanup();
});

test(
  '6 concurrent 60 MiB Predicts without a valid key: UNAUTHENTICATED on their metadata, host peak memory +<150 MB',
  { timeout: 240_000 },
  async (t) => {
    const body = Buffer.from(
      encodePredictRequest({
        inputs: new Map([
          ['input', { dtype: DT.FLOAT, shape: [104, 3, 224, 224], tensorContent: new Uint8Array(60 * MiB) }],
        ]),
        outputFilter: [],
      }),
    );
    for (const [label, md] of [
      ['no key', new grpc.Metadata()],
      ['a wrong key', withKey('not-the-key')],
    ] as const) {
      const base = resetPeak(hostPid);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => predictOnOwnConnection(guarded.port, body, md)),
      );
      const growth = memory(hostPid).hwm - base;
      t.diagnostic(
        `${label}: host VmHWM growth ${growth.toFixed(0)} MB for 6 x ${(body.length / MiB).toFixed(0)} MiB; client times ${results.map((r) => r.ms.toFixed(0)).join(', ')} ms`,
      );
      for (const r of results) {
        assert.equal(r.code, grpc.status.UNAUTHENTICATED, `${grpc.status[r.code]}: ${r.details}`);
        assert.match(r.details, /requires a key|is not valid/);
      }
      assert.ok(
        growth < 150,
        `host peak memory grew by ${growth.toFixed(0)} MB for 6 refused ${(body.length / MiB).toFixed(0)} MiB calls (${label}); the limit is 150 MB`,
      );
    }
    await bothServicesServe();
  },
);

test(
  'a 32 MiB int64_val bomb for a float input: INVALID_ARGUMENT without decoding it, host peak memory +<150 MB',
  { timeout: 240_000 },
  async (t) => {
    const cases = [
      {
        label: 'DT_FLOAT + packed int64_val',
        bytes: int64Bomb(DT.FLOAT, true),
        expect: /float_val holds 0 values but shape \[1,3,224,224\] needs 150528/,
      },
      {
        label: 'DT_INT64 + packed int64_val',
        bytes: int64Bomb(DT.INT64, true),
        expect: /expects DT_FLOAT.*got DT_INT64/,
      },
      {
        label: 'DT_FLOAT + 16 Mi unpacked int64_val',
        bytes: int64Bomb(DT.FLOAT, false),
        expect: /float_val holds 0 values/,
      },
    ];
    for (const c of cases) {
      const base = resetPeak(hostPid);
      const r = await predictOnOwnConnection(guarded.port, c.bytes, withKey(guarded.key));
      const growth = memory(hostPid).hwm - base;
      t.diagnostic(
        `${c.label}: ${grpc.status[r.code]} after ${r.ms.toFixed(0)} ms (client-observed, 32 MiB over loopback); host VmHWM growth ${growth.toFixed(0)} MB`,
      );
      assert.equal(r.code, grpc.status.INVALID_ARGUMENT, `${grpc.status[r.code]}: ${r.details}`);
      assert.match(r.details, c.expect);
      assert.ok(
        growth < 150,
        `host peak memory grew by ${growth.toFixed(0)} MB for a 32 MiB int64_val request (${c.label}); the limit is 150 MB`,
      );
    }
    await bothServicesServe();
  },
);

test(
  `a connection may open ${MAX_STREAMS_PER_CONNECTION} streams at once; a client with more in flight is queued, not refused`,
  { timeout: 120_000 },
  async () => {
    const session = http2.connect(`http://127.0.0.1:${guarded.port}`);
    try {
      const settings = await new Promise<http2.Settings>((resolve, reject) => {
        session.once('remoteSettings', resolve);
        session.once('error', reject);
      });
      assert.equal(settings.maxConcurrentStreams, MAX_STREAMS_PER_CONNECTION);
    } finally {
      session.close();
    }
    const client = new PredictionClient('127.0.0.1', guarded.port, false, guarded.key, undefined, undefined, {
      attempts: 1,
    });
    try {
      const image = fs.readFileSync(parrot);
      const results = await Promise.all(
        Array.from({ length: MAX_STREAMS_PER_CONNECTION + 8 }, () => client.scoreImage(image, { inputName: 'input' })),
      );
      assert.equal(results.length, MAX_STREAMS_PER_CONNECTION + 8);
    } finally {
      client.close();
    }
  },
);
