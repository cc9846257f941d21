// A 20 MiB REST body must not stall the other services of the host. The host's main thread serves the gRPC,
// health and REST ports of every service; a 23 MiB body parsed there once froze another service's health checks
// for 3.5 s (a 64 MiB one would pass the extension supervisor's 5 s timeout and get the healthy host killed).
// Here the real host (deployed through the real CLI) gets a 20 MiB body on one service's REST port while a client
// health-checks ANOTHER service back to back. The assertions are about order, not time: health checks sent after
// the body was fully sent are answered before the REST answer, i.e. while the body is parsed. The latencies are
// reported as diagnostics.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import { HostClient, readHostInfo } from '../../../src/emulator/host/hostControl';
import { isProcessAlive } from '../../../src/processAlive';
import { AccelHome, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';
import { rng } from '../../support/random';

const home = new AccelHome({ ACCEL_DEVICES: '2' });
const W = ['--workspace', 'big'];
const svc: Record<string, { port: number; restPort?: number }> = {};

before(async () => {
  await setupImage(home, 'big', mobilenetPath);
  await home.run([
    'service',
    'deploy',
    'bulk',
    '--image',
    'mobilenet-image',
    '--rest-port',
    '0',
    '--no-auth',
    '--json',
    ...W,
  ]);
  await home.run(['service', 'deploy', 'other', '--image', 'mobilenet-image', '--no-auth', '--json', ...W]);
  const info = readHostInfo(home.home);
  assert.ok(info);
  for (const s of (await new HostClient(info).status()).services) svc[s.name] = { port: s.port, restPort: s.restPort };
});

after(() => home.cleanup());

/** A body of `instances` NCHW 3×224×224 float images, each ~1.35 MB of text; the last row of the last one is one short when `ragged`. */
function floatBody(instances: number, ragged: boolean): Buffer {
  const rand = rng(6);
  const row = (n: number) => `[${Array.from({ length: n }, () => rand().toFixed(6)).join(',')}]`;
  const plane = (short: boolean) =>
    `[${Array.from({ length: 224 }, (_, i) => row(short && i === 223 ? 223 : 224)).join(',')}]`;
  const image = (short: boolean) => `[${plane(false)},${plane(false)},${plane(short)}]`;
  const whole = image(false);
  const parts = Array.from({ length: instances }, (_, i) => (ragged && i === instances - 1 ? image(true) : whole));
  return Buffer.from(`{"instances": [${parts.join(',')}]}`);
}

interface HealthProbe {
  sentAt: number;
  answeredAt: number;
  status: string;
}

/** Health-checks `service` on one channel, back to back, until stopped. */
function probeHealth(port: number, service: string): { probes: HealthProbe[]; stop: () => Promise<void> } {
  const def = protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), {
    keepCase: true,
    enums: String,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const probes: HealthProbe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentAt = performance.now();
      const status: string = await new Promise((resolve) =>
        client.Check(
          { service },
          { deadline: Date.now() + 30_000 },
          (err: grpc.ServiceError | null, res: { status: string }) => resolve(err ? `error ${err.code}` : res.status),
        ),
      );
      probes.push({ sentAt, answeredAt: performance.now(), status });
    }
  })();
  return {
    probes,
    stop: async () => {
      running = false;
      await loop;
      client.close();
    },
  };
}

/** POSTs `body`; resolves with the status and the times the last byte was handed to the socket and the answer came. */
function postBody(
  port: number,
  path: string,
  body: Buffer,
): Promise<{ status: number; text: string; bodySentAt: number; answeredAt: number }> {
  return new Promise((resolve, reject) => {
    let bodySentAt = 0;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
        agent: false,
        timeout: 120_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, bodySentAt, answeredAt: performance.now() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no REST answer within 120 s')));
    req.on('error', reject);
    req.end(body, () => (bodySentAt = performance.now()));
  });
}

function latencyReport(probes: HealthProbe[]): string {
  const ms = probes.map((p) => p.answeredAt - p.sentAt).sort((a, b) => a - b);
  if (!ms.length) return 'no health checks';
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(1);
  return `${ms.length} checks, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`;
}

async function duringBody(
  t: TestContext,
  body: Buffer,
): Promise<{ status: number; text: string; window: HealthProbe[]; all: HealthProbe[] }> {
  const probe = probeHealth(svc.other.port, 'other');
  while (probe.probes.length < 20) await new Promise((r) => setTimeout(r, 5));
  const idle = probe.probes.length;
  const rest = await postBody(svc.bulk.restPort!, '/v1/models/bulk:predict', body);
  await probe.stop();
  const during = probe.probes.slice(idle).filter((p) => p.sentAt <= rest.answeredAt); // a check held up past the answer counts
  const window = during.filter((p) => p.sentAt >= rest.bodySentAt && p.answeredAt <= rest.answeredAt);
  t.diagnostic(`idle: ${latencyReport(probe.probes.slice(0, idle))}`);
  t.diagnostic(
    `while the ${(body.length / 2 ** 20).toFixed(1)} MiB body was sent, parsed and answered (${(rest.answeredAt - (during[0]?.sentAt ?? rest.answeredAt)).toFixed(0)} ms): ${latencyReport(during)}`,
  );
  t.diagnostic(`after its last byte was sent, before its answer: ${latencyReport(window)}`);
  assert.ok(
    probe.probes.every((p) => p.status === 'SERVING'),
    `every health check of "other" answered SERVING: ${[...new Set(probe.probes.map((p) => p.status))]}`,
  );
  return { status: rest.status, text: rest.text, window, all: probe.probes };
}

describe('a 20 MiB REST body is parsed off the thread that serves every service', () => {
  it('another service answers health checks while the body is parsed; the ragged body is refused with 400', async (t) => {
    const body = floatBody(16, true);
    assert.ok(body.length > 20 * 2 ** 20, `the body is over 20 MiB (${body.length} bytes)`);
    const hostPid = readHostInfo(home.home)!.pid;
    const r = await duringBody(t, body);
    assert.equal(r.status, 400, r.text.slice(0, 300));
    assert.match(JSON.parse(r.text).error, /ragged: instance 15\[2\]\[223\] is a list of 223/);
    // The answer came only after the whole body was parsed and checked (the ragged row is its last); health checks
    // of the other service that were sent after the body's last byte were answered before it.
    assert.ok(
      r.window.length >= 5,
      `health checks of "other" were answered while the body was parsed (${r.window.length} between the body's last byte and its answer)`,
    );
    assert.ok(isProcessAlive(hostPid));
  });

  it('a valid 20 MiB body scores 16 images while the other service stays healthy', async (t) => {
    const r = await duringBody(t, floatBody(16, false));
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const { predictions } = JSON.parse(r.text) as { predictions: number[][] };
    assert.equal(predictions.length, 16);
    assert.equal(predictions[0].length, 1000);
    assert.ok(r.window.length >= 1, 'the other service answered while the body was handled');
  });
});
