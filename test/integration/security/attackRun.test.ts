// The bounded attack run CI makes on every change: hostile gRPC and REST requests against the real emulator host
// process (deployed through the real CLI), to one service with auth on and one with auth off. It shows that the host
// never exits, every request gets a clear status, and the host's peak memory growth and CPU time per request stay
// under the limits the README states. Seeded, so a failure can be replayed.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DT, encodePredictRequest, type WireTensor } from '../../../src/wire/wireCodec';
import { readHostInfo } from '../../../src/emulator/host/hostControl';
import { isProcessAlive } from '../../../src/processAlive';
import { AccelHome, setupImage } from '../../support/accelCli';
import { imagesDir, mobilenetPath } from '../../support/paths';
import { rng } from '../../support/random';
import { bearer, healthCheck, rawPredict } from '../emulator/wireClients';

/**
 * The limits README.md states for this run: host peak memory growth per phase (auth on: nothing unauthenticated is
 * buffered; auth off: two 60 MiB messages are legitimately received and decoded at once) and host CPU per request.
 */
const LIMITS = { secure: { peakGrowthMiB: 150 }, open: { peakGrowthMiB: 512 }, cpuMsPerRequest: 100 };
const INPUT = 'input';
const CLEAN_GRPC = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
]);

/** Host CPU (all threads) in ms and memory from /proc. */
function hostUsage(pid: number): { cpuMs: number; rssKiB: number; hwmKiB: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 Hz on Linux)
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuMs: ticks * 10, rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

interface RestReply {
  status: number;
  body: string;
}

/** A raw HTTP/1.1 request, so paths and headers go out exactly as written (no URL normalisation). */
function restRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RestReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path,
        headers: options.headers,
        setHost: !options.headers?.host,
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', (e) => {
      // The server may answer 413 and close while the body is still going out: that is an answer too.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET')
        resolve({ status: -1, body: String(e) });
      else reject(e);
    });
    req.end(options.body);
  });
}

function basic(key?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Basic ${Buffer.from(`user:${key ?? ''}`).toString('base64')}`);
  return md;
}

/** A PNG header that declares 60000 × 60000 pixels, with a valid IHDR CRC. */
function pngBombHeader(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const ihdr = Buffer.alloc(17);
  ihdr.write('IHDR', 0, 'latin1');
  ihdr.writeUInt32BE(60_000, 4);
  ihdr.writeUInt32BE(60_000, 8);
  ihdr.set([8, 2, 0, 0, 0], 12);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(ihdr));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    len,
    ihdr,
    sum,
    Buffer.alloc(64),
  ]);
}

/** A packed repeated int64 field (TensorProto.int64_val = 10) of `n` varints, for a declared float tensor. */
function int64Bomb(n: number): Uint8Array {
  const tensor = encodePredictRequest({
    inputs: new Map([[INPUT, { dtype: DT.FLOAT, shape: [1, 3, 224, 224] } as WireTensor]]),
    outputFilter: [],
  });
  const payload = Buffer.alloc(n, 0x01); // n one-byte varints
  const lenVarint = (v: number) => {
    const out: number[] = [];
    while (v > 0x7f) {
      out.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(v);
    return Buffer.from(out);
  };
  // Re-encode: PredictRequest.inputs (field 2) is a map entry { key = 1, value = 2 (TensorProto) }; append the
  // packed int64_val to the TensorProto by rebuilding the entry around the encoder's own tensor bytes.
  const decodedTensor = extractFirstTensor(tensor);
  const field = Buffer.concat([Buffer.from([(10 << 3) | 2]), lenVarint(payload.length), payload]);
  const tensorBytes = Buffer.concat([decodedTensor, field]);
  const key = Buffer.from(INPUT, 'utf8');
  const entry = Buffer.concat([
    Buffer.from([(1 << 3) | 2]),
    lenVarint(key.length),
    key,
    Buffer.from([(2 << 3) | 2]),
    lenVarint(tensorBytes.length),
    tensorBytes,
  ]);
  return Buffer.concat([Buffer.from([(2 << 3) | 2]), lenVarint(entry.length), entry]);
}

/** The TensorProto bytes of the first `inputs` entry of an encoded PredictRequest. */
function extractFirstTensor(request: Uint8Array): Buffer {
  const b = Buffer.from(request);
  let i = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const x = b[i++];
      v += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) return v;
      shift += 7;
    }
  };
  while (i < b.length) {
    const tag = varint();
    const len = varint();
    if (tag >> 3 === 2) {
      const end = i + len;
      while (i < end) {
        const t = varint();
        const l = varint();
        if (t >> 3 === 2) return b.subarray(i, i + l);
        i += l;
      }
    }
    i += len;
  }
  throw new Error('no inputs entry');
}

describe('attack run against the real emulator host (auth on and auth off)', () => {
  const home = new AccelHome({ ACCEL_MIRROR: path.dirname(mobilenetPath) });
  const ws = 'attack';
  let pid = 0;
  const svc: Record<'secure' | 'open', { port: number; restPort: number; key?: string }> = {} as never;

  before(async () => {
    await setupImage(home, ws, mobilenetPath);
    for (const [name, extra] of [
      ['secure', []],
      ['open', ['--no-auth']],
    ] as const) {
      const d = await home.run([
        'service',
        'deploy',
        `${name}-svc`,
        '--image',
        'mobilenet-image:1',
        '--rest-port',
        '0',
        ...extra,
        '--json',
        '--workspace',
        ws,
      ]);
      const shown = (await home.run(['service', 'show', `${name}-svc`, '--json', '--workspace', ws])).json;
      const keys =
        name === 'secure'
          ? (await home.run(['service', 'keys', `${name}-svc`, '--json', '--workspace', ws])).json
          : undefined;
      svc[name] = { port: shown.port ?? d.json.port, restPort: shown.restPort, key: keys?.primaryKey };
      assert.ok(svc[name].restPort > 0, `${name}-svc has a REST port`);
    }
    pid = readHostInfo(home.home)!.pid;
  });
  after(() => home.cleanup());

  it('hostile requests all get clear answers; the host stays up within its memory and CPU limits', async () => {
    const rand = rng(20261202);
    const int = (n: number) => Math.floor(rand() * n);
    const jpeg = fs.readFileSync(path.join(imagesDir, 'coral', 'parrot.jpg'));
    const req = (t: WireTensor, name = INPUT) =>
      encodePredictRequest({ inputs: new Map([[name, t]]), outputFilter: [] });
    const image = (bytes: Uint8Array) => req({ dtype: DT.STRING, shape: [1], stringVal: [bytes] });
    const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="20000" height="20000"><filter id="f"><feTurbulence baseFrequency="0.9" numOctaves="10"/></filter><rect width="100%" height="100%" filter="url(#f)"/></svg>',
    );
    const tiffHeader = Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]), randomBytes(200)]);
    const grpcAttacks: Array<[string, () => Uint8Array, (key?: string) => grpc.Metadata]> = [
      ['random bytes, no key', () => randomBytes(int(4000)), () => bearer()],
      ['random bytes, wrong key', () => randomBytes(int(4000)), () => bearer('not-the-key')],
      ['random bytes, key', () => randomBytes(int(4000)), (k) => bearer(k)],
      ['SVG image', () => image(svg), (k) => bearer(k)],
      ['TIFF image', () => image(tiffHeader), (k) => bearer(k)],
      ['PNG pixel bomb header', () => image(pngBombHeader()), (k) => bearer(k)],
      ['truncated JPEG', () => image(jpeg.subarray(0, int(jpeg.length))), (k) => bearer(k)],
      ['packed int64 for a float input (4 MiB)', () => int64Bomb(4 << 20), (k) => bearer(k)],
      [
        'huge dims, tiny payload',
        () => req({ dtype: DT.FLOAT, shape: [2 ** 20, 3, 224, 224], floatVal: new Float32Array(4) }),
        (k) => bearer(k),
      ],
      [
        'wrong route header',
        () => image(jpeg),
        (k) => bearer(k, { 'x-ms-aml-grpc-service-route': '/api/v1/service/../../etc' }),
      ],
      ['8 KB authorization header', () => image(jpeg), () => bearer('x'.repeat(8000))],
      ['Basic authorization scheme', () => image(jpeg), (k) => basic(k)],
      ['a real photo', () => image(jpeg), (k) => bearer(k)],
    ];
    const restAttacks: Array<[string, (port: number, svc: string, key?: string) => Promise<RestReply>]> = [
      ['malformed percent-encoding', (p) => restRequest(p, { path: '/v1/models/%E0%A4%A:predict', body: '{}' })],
      ['path traversal', (p) => restRequest(p, { path: '/v1/models/..%2F..%2Fetc:predict', body: '{}' })],
      [
        'browser Origin',
        (p, svc, k) =>
          restRequest(p, {
            path: `/v1/models/${svc}:predict`,
            headers: {
              origin: 'http://evil.example',
              'content-type': 'application/json',
              ...(k ? { authorization: `Bearer ${k}` } : {}),
            },
            body: '{"instances":[[1]]}',
          }),
      ],
      [
        'foreign Host (DNS rebinding)',
        (p, svc) =>
          restRequest(p, {
            path: `/v1/models/${svc}:predict`,
            headers: { host: `evil.example:${p}` },
            body: '{"instances":[[1]]}',
          }),
      ],
      [
        'deeply nested JSON',
        (p, svc, k) =>
          restRequest(p, {
            path: `/v1/models/${svc}:predict`,
            headers: k ? { authorization: `Bearer ${k}` } : {},
            body: '{"instances":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}',
          }),
      ],
      [
        'ragged arrays',
        (p, svc, k) =>
          restRequest(p, {
            path: `/v1/models/${svc}:predict`,
            headers: k ? { authorization: `Bearer ${k}` } : {},
            body: '{"instances":[[1,2,3],[4]]}',
          }),
      ],
      [
        'invalid JSON',
        (p, svc, k) =>
          restRequest(p, {
            path: `/v1/models/${svc}:predict`,
            headers: k ? { authorization: `Bearer ${k}` } : {},
            body: '{"instances": [',
          }),
      ],
      [
        '8 MiB body without a key',
        (p, svc) => restRequest(p, { path: `/v1/models/${svc}:predict`, body: Buffer.alloc(8 << 20, 0x20) }),
      ],
    ];

    const baseline = hostUsage(pid);
    const growth: Record<string, number> = {};
    let requests = 0;
    const outcomes = new Map<string, number>();
    const tally = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);

    for (const target of ['secure', 'open'] as const) {
      const { port, restPort, key } = svc[target];
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.max_send_message_length': -1,
      });
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
      const before = hostUsage(pid);
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          grpcAttacks.map(async ([kind, make, md]) => {
            const r = await rawPredict(client, make(), md(key), 30_000);
            requests++;
            assert.ok(CLEAN_GRPC.has(r.code), `${target} gRPC ${kind}: ${grpc.status[r.code]} ${r.details}`);
            if (r.code !== grpc.status.OK)
              assert.ok(r.details.length > 10, `${target} gRPC ${kind}: the status has no message`);
            tally(`gRPC ${kind} (${target}): ${grpc.status[r.code]}`);
          }),
        );
        // Two 60 MiB messages without a key, at once.
        await Promise.all(
          [0, 1].map(async () => {
            const r = await rawPredict(client, image(Buffer.alloc(60 << 20, 0xff)), bearer(), 60_000);
            requests++;
            const expected = target === 'secure' ? grpc.status.UNAUTHENTICATED : grpc.status.INVALID_ARGUMENT;
            assert.ok(
              r.code === expected || r.code === grpc.status.RESOURCE_EXHAUSTED,
              `${target} 60 MiB without key: ${grpc.status[r.code]} ${r.details}`,
            );
            tally(`gRPC 60 MiB without key (${target}): ${grpc.status[r.code]}`);
          }),
        );
        for (const [kind, send] of restAttacks) {
          const r = await send(restPort, `${target}-svc`, key);
          requests++;
          assert.ok(
            (r.status >= 400 && r.status < 500) || r.status === -1,
            `${target} REST ${kind}: HTTP ${r.status} ${r.body.slice(0, 200)}`,
          );
          if (r.status > 0)
            assert.ok(
              String((JSON.parse(r.body) as { error?: unknown }).error ?? '').length > 10,
              `${target} REST ${kind}: the answer says what is wrong: ${r.body.slice(0, 200)}`,
            );
          tally(`REST ${kind} (${target}): ${r.status}`);
        }
        assert.ok(isProcessAlive(pid), `the host died during round ${round} against ${target}-svc`);
      }
      client.close();
      growth[target] = (hostUsage(pid).hwmKiB - before.rssKiB) / 1024;
    }

    const end = hostUsage(pid);
    const cpuMsPerRequest = (end.cpuMs - baseline.cpuMs) / requests;
    console.log(
      JSON.stringify({
        requests,
        peakGrowthMiB: { secure: Math.round(growth.secure), open: Math.round(growth.open) },
        cpuMsPerRequest: Math.round(cpuMsPerRequest * 10) / 10,
        outcomes: Object.fromEntries(outcomes),
      }),
    );

    assert.equal(readHostInfo(home.home)?.pid, pid, 'the same host process serves after the run');
    for (const target of ['secure', 'open'] as const) {
      assert.equal(await healthCheck(svc[target].port), 'SERVING', `${target}-svc is healthy after the run`);
    }
    const scored = await home.run([
      'score',
      'secure-svc',
      path.join(imagesDir, 'coral', 'parrot.jpg'),
      '--json',
      '--workspace',
      ws,
    ]);
    assert.equal(JSON.stringify(scored.json).includes('macaw'), true, 'secure-svc still scores a real photo right');
    for (const target of ['secure', 'open'] as const) {
      assert.ok(
        growth[target] < LIMITS[target].peakGrowthMiB,
        `${target}-svc: host peak memory grew by ${Math.round(growth[target])} MiB (limit ${LIMITS[target].peakGrowthMiB})`,
      );
    }
    assert.ok(
      cpuMsPerRequest < LIMITS.cpuMsPerRequest,
      `host CPU per hostile request ${cpuMsPerRequest.toFixed(1)} ms (limit ${LIMITS.cpuMsPerRequest})`,
    );
  });
});
