// The emulator host SIGKILLed under load: the Supervisor restarts it, and the new host restores every deployed
// service from the store (same ports, keys, replicas) so clients score again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { PredictionClient } from '../../../src/client/predictionClient';
import { type HostClient, readHostInfo, startHost, Supervisor } from '../../../src/emulator/host/hostControl';
import { isProcessAlive } from '../../../src/processAlive';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath, repoRoot } from '../../support/paths';

const home = new AccelHome({ ACCEL_DEVICES: '3' });
const W = ['--workspace', 'sup'];
const parrot = fs.readFileSync(PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!.file);

before(async () => {
  await setupImage(home, 'sup', mobilenetPath);
});

let supervisor: Supervisor | undefined;

after(async () => {
  await supervisor?.stop(); // stop supervising first, so a failed test cannot leave a restarted host behind
  await home.cleanup();
});

test('a SIGKILLed host is restarted by the Supervisor with every service back', async () => {
  const one = (await home.run(['service', 'deploy', 'one', '--image', 'mobilenet-image', '--json', ...W])).json;
  const two = (
    await home.run([
      'service',
      'deploy',
      'two',
      '--image',
      'mobilenet-image',
      '--replicas',
      '2',
      '--self-signed',
      '--json',
      ...W,
    ])
  ).json;
  const keyOne = (await home.run(['service', 'keys', 'one', '--json', ...W])).json.primaryKey;
  const keyTwo = (await home.run(['service', 'keys', 'two', '--json', ...W])).json.secondaryKey;
  const cert = (await home.run(['service', 'show', 'two', '--json', ...W])).json.tls.certificate;

  supervisor = new Supervisor(home.home, { healthIntervalMs: 500, initialBackoffMs: 100 });
  const restarted = new Promise<HostClient>((resolve) =>
    supervisor!.on('started', (client: HostClient, again: boolean) => again && resolve(client)),
  );
  const first = await supervisor.start();
  const oldPid = first.info.pid;
  assert.equal(readHostInfo(home.home)?.pid, oldPid, 'the supervisor adopted the running host');

  // Load: two clients scoring in a loop (one retry-less attempt each, so failures during the outage show up).
  const clientOne = new PredictionClient('127.0.0.1', one.port, false, keyOne, 'one', undefined, {
    attempts: 1,
    deadlineMs: 5000,
  });
  const clientTwo = new PredictionClient('localhost', two.port, true, keyTwo, 'two', cert, {
    attempts: 1,
    deadlineMs: 5000,
  });
  let ok = 0;
  let failed = 0;
  let running = true;
  const loop = async (client: PredictionClient) => {
    while (running) {
      try {
        const r = await client.scoreImage(parrot, { inputName: 'input' });
        assert.equal(r.outputs.output.data.length, 1000);
        ok++;
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const loops = [loop(clientOne), loop(clientTwo), loop(clientOne)];
  while (ok < 10) await new Promise((r) => setTimeout(r, 20));

  process.kill(oldPid, 'SIGKILL');
  const client = await restarted;
  assert.notEqual(client.info.pid, oldPid);
  assert.equal(isProcessAlive(oldPid), false);
  assert.equal(supervisor.restarts, 1);

  // The new host restores both services from the store (reconcile at start); wait until both run.
  for (;;) {
    const status = await client.status();
    const states = status.services.map((s) => `${s.name}:${s.state}`).sort();
    if (states.join() === 'one:Running,two:Running') {
      assert.deepEqual(status.services.map((s) => [s.name, s.port, s.devices.length]).sort(), [
        ['one', one.port, 1],
        ['two', two.port, 2],
      ]);
      break;
    }
    assert.ok(
      !states.some((s) => s.endsWith('Failed')),
      `a service failed to come back: ${JSON.stringify(status.services)}`,
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  const okAtRestore = ok;
  while (ok < okAtRestore + 10) await new Promise((r) => setTimeout(r, 20));
  running = false;
  await Promise.all(loops);
  clientOne.close();
  clientTwo.close();
  console.log(`# load: ${ok} requests ok, ${failed} failed while the host was down`);

  await supervisor.stop({ stopHost: true });
  assert.equal(isProcessAlive(client.info.pid), false);
  assert.equal(readHostInfo(home.home), undefined);
});

test('a second host for the same home refuses to start', async () => {
  const { client } = await startHost(home.home);
  const second = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'emulator.js'), '--home', home.home], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(second.status, 3);
  assert.match(second.stderr, new RegExp(`already running for .* \\(pid ${client.info.pid}\\)`));
  assert.equal(readHostInfo(home.home)?.pid, client.info.pid, 'the first host keeps its record');
});
