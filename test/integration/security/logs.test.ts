// Finding 10 of issue 10: the control API's /logs reads only service logs inside the home's logs folder. A real
// host (started through the CLI) is asked, with its token, for `service=../..`-style names that used to resolve to
// any *.log file; each gets 400 and the planted file's content never comes back.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readHostInfo, type HostInfo } from '../../../src/emulator/host/hostControl';
import { AccelHome } from '../../support/accelCli';

const SECRET = 'planted-outside-the-logs-folder';

function control(info: HostInfo, route: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A raw path: no URL normalisation between the test and the host.
    const req = http.request(
      {
        host: '127.0.0.1',
        port: info.controlPort,
        path: route,
        headers: { 'x-accel-token': info.token },
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${route}`)));
    req.on('error', reject);
    req.end();
  });
}

describe('/logs on the control API', () => {
  const home = new AccelHome();
  let info: HostInfo;

  before(async () => {
    await home.run(['emulator', 'start']);
    info = readHostInfo(home.home)!;
    // *.log files the old route reached: the home itself, and the folder above it.
    fs.writeFileSync(path.join(home.home, 'planted.log'), `${SECRET}\n`);
    fs.writeFileSync(path.join(home.home, 'logs', 'emulator-copy.log'), `${SECRET}\n`);
  });
  after(() => home.cleanup());

  for (const service of [
    '../../planted',
    '../emulator-copy',
    '..%2F..%2Fplanted',
    '%2e%2e/%2e%2e/planted',
    `../../..${path.join(home.home, 'planted')}`,
    '/etc/passwd%00',
    'a/b',
    '',
  ]) {
    it(`refuses service=${service || '(empty)'} with 400`, async () => {
      const r = await control(info, `/logs?service=${service}`);
      assert.equal(r.status, 400, r.body);
      assert.ok(!r.body.includes(SECRET), 'nothing outside the services log folder is read');
      assert.equal(JSON.parse(r.body).code, 'InvalidArgument');
      assert.match(JSON.parse(r.body).error, /not a service name/);
    });
  }

  it('refuses lines outside 1..10000', async () => {
    for (const lines of ['0', '-5', 'abc', '1e9', '2.5']) {
      const r = await control(info, `/logs?lines=${lines}`);
      assert.equal(r.status, 400, `lines=${lines}: ${r.body}`);
    }
  });

  it('still serves the host log and a valid service name (empty when it has no log yet)', async () => {
    const host = await control(info, '/logs?lines=50');
    assert.equal(host.status, 200);
    assert.match(host.body, /control endpoint http:\/\/127\.0\.0\.1:/);
    const none = await control(info, '/logs?service=no-such-svc');
    assert.equal(none.status, 200);
    assert.equal(none.body, '');
    assert.equal((await control(info, '/health')).status, 200, 'the host keeps serving');
  });

  it('accel service logs refuses a path for a name', async () => {
    await home.run(['workspace', 'create', 'w']);
    const r = await home.run(['service', 'logs', '../../planted'], { expectFailure: true });
    assert.match(r.stderr, /No service "\.\.\/\.\.\/planted"|not a valid service name/);
    assert.ok(!r.stdout.includes(SECRET));
  });
});
