// The REST caller rules on a public bind, through the exported image's own entry point (standalone, 0.0.0.0,
// --no-auth as ACCEL_AUTH=disabled): clients reach such a server through names the server cannot know (DNS, an
// ingress, a Kubernetes service), so any Host is served; a browser (Origin) is still refused, and a malformed
// path still gets 400 without ending the process. The REST JSON worker runs from the exported dist/emulator.js.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const home = new AccelHome();
const W = ['--workspace', 'pub'];
let child: ChildProcess | undefined;
let restPort = 0;
let output = '';

function post(
  pathname: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: restPort,
        method: 'POST',
        path: pathname,
        headers: { 'content-type': 'application/json', ...headers },
        setHost: !('host' in headers),
        agent: false,
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  await setupImage(home, 'pub', mobilenetPath);
  const context = path.join(home.home, 'export', 'mobilenet-image');
  await home.run(['image', 'export', 'mobilenet-image:1', context, '--json', ...W]);
  child = spawn(
    process.execPath,
    [
      path.join(context, 'dist', 'emulator.js'),
      '--standalone',
      '--manifest',
      path.join(context, 'model', 'manifest.json'),
      '--model',
      path.join(context, 'model', 'model.onnx'),
      '--port',
      '0',
      '--rest-port',
      '0',
      '--host',
      '0.0.0.0',
    ],
    {
      env: { PATH: process.env.PATH ?? '', ACCEL_AUTH: 'disabled' },
      cwd: context,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  restPort = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = /rest port (\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.on('exit', (code) => reject(new Error(`standalone exited ${code}: ${output}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await home.cleanup();
});

test(
  'bound to 0.0.0.0: any Host is served, a browser Origin is refused, a malformed path gets 400 and the process keeps serving',
  { timeout: 120_000 },
  async () => {
    const body = JSON.stringify({
      instances: [{ b64: fs.readFileSync(PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!.file).toString('base64') }],
    });
    const route = '/v1/models/mobilenet:predict';
    for (const host of [`models.example.com:${restPort}`, 'scoring.internal', `127.0.0.1:${restPort}`]) {
      const r = await post(route, { host }, body);
      assert.equal(r.status, 200, `Host ${host}: ${r.text.slice(0, 300)}`);
    }
    const browser = await post(route, { origin: 'https://evil.example' }, body);
    assert.equal(browser.status, 403, browser.text);
    assert.match(JSON.parse(browser.text).error, /web browsers are refused/);
    const broken = await post('/v1/models/%E0%A4%A:predict', {}, body);
    assert.equal(broken.status, 400, broken.text);
    const again = await post(route, {}, body);
    assert.equal(again.status, 200, again.text.slice(0, 300));
    const scores = (JSON.parse(again.text) as { predictions: number[][] }).predictions[0];
    assert.equal(scores.indexOf(Math.max(...scores)), 88, 'the parrot is a macaw');
    assert.equal(child!.exitCode, null, `the standalone process still runs: ${output}`);
  },
);
