// Hostile REST requests against the real emulator host process (deployed through the real CLI): one service with
// auth on and one with --no-auth, both with a REST port. A path that is not valid percent-encoding once made
// decodeURIComponent throw before the key check and the host exit, taking every service down; a browser page
// (Origin) or a DNS-rebound name (foreign Host) could reach a --no-auth service. Each request must get a clear
// 4xx, and the host must stay the same process with every service serving.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HostClient, readHostInfo } from '../../../src/emulator/host/hostControl';
import { isProcessAlive } from '../../../src/processAlive';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';
import { rng } from '../../support/random';
import { healthCheck } from '../emulator/wireClients';

interface Reply {
  status: number;
  body: string;
  json?: { error?: string; predictions?: number[][] };
}

/** One raw HTTP/1.1 request on its own connection: path and headers go out exactly as written. */
function send(
  port: number,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    abortAfter?: number;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', ...options.headers };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path,
        headers,
        setHost: !('host' in headers),
        agent: false,
        timeout: 30_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${options.path} within 30 s`)));
    req.on('error', reject);
    if (options.abortAfter !== undefined) {
      req.write(Buffer.from(options.body ?? '').subarray(0, options.abortAfter), () =>
        setTimeout(() => req.destroy(new Error('aborted by the test')), 50),
      );
      return;
    }
    req.end(options.body);
  });
}

const home = new AccelHome({ ACCEL_DEVICES: '3' });
const W = ['--workspace', 'sec'];
const parrot = fs.readFileSync(PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!.file).toString('base64');
let key = '';
let hostPid = 0;
const svc: Record<'guarded' | 'open', { port: number; restPort: number }> = {
  guarded: { port: 0, restPort: 0 },
  open: { port: 0, restPort: 0 },
};

async function liveServices(): Promise<Awaited<ReturnType<HostClient['status']>>['services']> {
  const info = readHostInfo(home.home);
  assert.ok(info, 'the emulator host is running');
  return (await new HostClient(info).status()).services;
}

/** The host is the same process, both services report SERVING, and a keyed REST predict still scores the parrot. */
async function assertEverythingServes(): Promise<void> {
  assert.ok(isProcessAlive(hostPid), `the emulator host (pid ${hostPid}) is still running`);
  assert.equal(readHostInfo(home.home)?.pid, hostPid, 'the same host process serves (it did not exit and restart)');
  for (const name of ['guarded', 'open'] as const)
    assert.equal(await healthCheck(svc[name].port, name), 'SERVING', `${name} is SERVING`);
  const ok = await send(svc.guarded.restPort, {
    path: '/v1/models/guarded:predict',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ instances: [{ b64: parrot }] }),
  });
  assert.equal(ok.status, 200, ok.body);
  const scores = ok.json!.predictions![0];
  assert.equal(scores.indexOf(Math.max(...scores)), 88, 'the parrot is still a macaw');
}

before(async () => {
  await setupImage(home, 'sec', mobilenetPath);
  await home.run(['service', 'deploy', 'guarded', '--image', 'mobilenet-image', '--rest-port', '0', '--json', ...W]);
  await home.run([
    'service',
    'deploy',
    'open',
    '--image',
    'mobilenet-image',
    '--rest-port',
    '0',
    '--no-auth',
    '--json',
    ...W,
  ]);
  key = (await home.run(['service', 'keys', 'guarded', '--json', ...W])).json.primaryKey;
  for (const s of await liveServices())
    if (s.name === 'guarded' || s.name === 'open') svc[s.name] = { port: s.port, restPort: s.restPort! };
  assert.ok(svc.guarded.restPort && svc.open.restPort, 'both services listen for REST');
  hostPid = readHostInfo(home.home)!.pid;
});

after(() => home.cleanup());

describe('hostile REST requests against the emulator host', () => {
  it('a path that is not valid percent-encoding gets 400 on both services, before any key check; the host keeps serving', async () => {
    for (const name of ['guarded', 'open'] as const) {
      for (const path of ['/v1/models/%E0%A4%A:predict', '/v1/models/%:predict', '/v1/models/%ZZ/versions/1:predict']) {
        const r = await send(svc[name].restPort, { path, body: '{"instances": [[1]]}' });
        assert.equal(r.status, 400, `${name} ${path}: ${r.body}`);
        assert.match(r.json!.error!, /not valid percent-encoding/);
      }
    }
    await assertEverythingServes();
  });

  it('a browser (an Origin header) is refused with 403 on a --no-auth service, whatever the origin', async () => {
    const body = JSON.stringify({ instances: [{ b64: parrot }] });
    const browsers: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${svc.open.restPort}` },
      { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
    ];
    for (const headers of browsers) {
      const r = await send(svc.open.restPort, { path: '/v1/models/open:predict', headers, body });
      assert.equal(r.status, 403, `${JSON.stringify(headers)}: ${r.body}`);
      assert.match(r.json!.error!, /web browsers are refused/);
    }
    // A program's fetch (Node's sends sec-fetch-mode but no Origin) is served.
    const fetched = await fetch(`http://127.0.0.1:${svc.open.restPort}/v1/models/open:predict`, {
      method: 'POST',
      body,
    });
    assert.equal(fetched.status, 200);
    await assertEverythingServes();
  });

  it('a foreign Host (DNS rebinding) is refused with 403; loopback names with the right port are served', async () => {
    const port = svc.open.restPort;
    const body = JSON.stringify({ instances: [{ b64: parrot }] });
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1.nip.io:${port}`,
      `localhost:${port + 1}`,
      `192.168.1.10:${port}`,
      'evil.example',
    ]) {
      const r = await send(port, { path: '/v1/models/open:predict', headers: { host }, body });
      assert.equal(r.status, 403, `Host ${host}: ${r.body}`);
      assert.match(r.json!.error!, /only answers requests addressed to the local machine/);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      const r = await send(port, { path: '/v1/models/open:predict', headers: { host }, body });
      assert.equal(r.status, 200, `Host ${host}: ${r.body}`);
    }
  });

  it('malformed, oversized and hostile bodies each get a clear 4xx; the host never exits', async () => {
    const open = svc.open.restPort;
    const path = '/v1/models/open:predict';
    const row = (n: number) => `[${Array.from({ length: n }, () => '0.5').join(',')}]`;
    const plane = (rows: string[]) => `[${rows.join(',')}]`;
    const full = plane(Array.from({ length: 224 }, () => row(224)));
    const raggedImage = `[${full},${full},${plane([...Array.from({ length: 223 }, () => row(224)), row(223)])}]`;
    const cases: Array<{
      what: string;
      body?: string | Buffer;
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      status: number;
      error: RegExp;
    }> = [
      {
        what: 'nesting 200,000 deep',
        body: `{"instances": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
        status: 400,
        error: /deeper than 32 levels/,
      },
      { what: 'unclosed nesting', body: '['.repeat(100_000), status: 400, error: /deeper than 32 levels/ },
      {
        what: 'a ragged image (last row one short)',
        body: `{"instances": [${raggedImage}]}`,
        status: 400,
        error: /ragged: instance 0\[2\]\[223\] is a list of 223/,
      },
      {
        what: 'a first row claiming more numbers than the body holds',
        body: `{"instances": [[[${row(50_000)}, [1]]]]}`,
        status: 400,
        error: /expects shape|ragged/,
      },
      {
        what: 'a number where a list belongs',
        body: `{"instances": [[${full}, 7, ${full}]]}`,
        status: 400,
        error: /ragged: instance 0\[1\] is the number 7/,
      },
      {
        what: 'a string among numbers',
        body: `{"instances": [[${full}, ${full}, ${full.replace('0.5', '"1"')}]]}`,
        status: 400,
        error: /instance 0\[2\]\[0\]\[0\] is a string/,
      },
      {
        what: 'an image mixed with numbers',
        body: `{"instances": [{"b64": "${parrot.slice(0, 100)}"}, [1, 2]]}`,
        status: 400,
        error: /instance 1 is a list of 2/,
      },
      { what: 'not JSON', body: '{"instances": [1, 2', status: 400, error: /not valid JSON/ },
      {
        what: 'not UTF-8',
        body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        status: 400,
        error: /not valid UTF-8/,
      },
      { what: 'a JSON array body', body: '[1, 2, 3]', status: 400, error: /must be a JSON object/ },
      { what: 'neither instances nor inputs', body: '{"foo": 1}', status: 400, error: /needs "instances"/ },
      { what: 'no instances', body: '{"instances": []}', status: 400, error: /no instances/ },
      {
        what: 'an unknown input name',
        body: `{"inputs": {"${'x'.repeat(10_000)}": [1]}}`,
        status: 400,
        error: /has no input "x{64}\.\.\."; its inputs are "input"/,
      },
      { what: 'a wrong shape', body: '{"instances": [[1, 2, 3]]}', status: 400, error: /expects shape/ },
      {
        what: 'a declared body over the limit',
        body: '{}',
        headers: { 'content-length': String(65 * 1024 * 1024) },
        status: 413,
        error: /larger than/,
      },
      { what: 'GET on the predict route', method: 'GET', status: 405, error: /Method GET is not allowed/ },
      { what: 'an unknown route', path: '/v1/models/open/metadata', status: 404, error: /Not found/ },
      {
        what: "another model's name",
        path: `/v1/models/${'%41'.repeat(3000)}:predict`,
        status: 404,
        error: /not "A{80}\.\.\."/,
      },
    ];
    for (const c of cases) {
      const r = await send(open, {
        method: c.method,
        path: c.path ?? path,
        headers: c.headers,
        body: c.method === 'GET' ? undefined : c.body,
      });
      assert.equal(r.status, c.status, `${c.what}: ${r.body.slice(0, 300)}`);
      assert.match(r.json?.error ?? '', c.error, c.what);
    }
    // A client that goes away mid-body, and one that declares more than it sends and then goes away.
    await assert.rejects(send(open, { path, body: `{"instances": [${full}]}`, abortAfter: 100_000 }));
    await assert.rejects(
      send(open, { path, headers: { 'content-length': '1000000' }, body: '{"instances": [', abortAfter: 15 }),
    );
    // The service with keys answers a keyless hostile body 401 without reading it.
    const keyless = await send(svc.guarded.restPort, {
      path: '/v1/models/guarded:predict',
      body: `{"instances": ${'['.repeat(200_000)}`,
    });
    assert.equal(keyless.status, 401, keyless.body);
    await assertEverythingServes();
  });

  it('300 seeded mutations of a valid body: each answered 200 or a 4xx with a message, never a 5xx; the host keeps serving', async () => {
    const rand = rng(20261202);
    const int = (n: number) => Math.floor(rand() * n);
    const valid = JSON.stringify({ instances: [{ b64: parrot.slice(0, 2000) }], signature_name: 'serving_default' });
    const alphabet = '[]{}",:0123456789.-eE tfn\\b64';
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const chars = [...valid];
      for (let k = 1 + int(6); k > 0; k--) {
        const at = int(chars.length);
        const op = int(3);
        if (op === 0) chars[at] = alphabet[int(alphabet.length)];
        else if (op === 1) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[int(alphabet.length)].repeat(1 + int(40)));
      }
      const r = await send(svc.open.restPort, { path: '/v1/models/open:predict', body: chars.join('') });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok(
        r.status === 200 || (r.status >= 400 && r.status < 500),
        `mutation ${i}: ${r.status} ${r.body.slice(0, 300)}`,
      );
      if (r.status !== 200)
        assert.ok((r.json?.error ?? '').length > 10, `mutation ${i} has a message: ${r.body.slice(0, 300)}`);
    }
    assert.ok(
      (statuses.get(400) ?? 0) > 100,
      `most mutations are refused as bad requests: ${JSON.stringify([...statuses])}`,
    );
    await assertEverythingServes();
  });
});
