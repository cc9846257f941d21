// The whole local flow through the real bundled CLI: register → image → deploy → score every shared photo →
// keys → regen-key → update → delete in dependency order; the emulator host is a real detached process.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { PredictionClient } from '../../../src/client/predictionClient';
import { readHostInfo } from '../../../src/emulator/host/hostControl';
import { isProcessAlive } from '../../../src/processAlive';
import { AccelHome, PHOTOS } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const home = new AccelHome({ ACCEL_DEVICES: '4' });
const W = ['--workspace', 'flow'];

function clientFor(port: number, key: string | undefined): PredictionClient {
  return new PredictionClient('127.0.0.1', port, false, key, 'classifier', undefined, { attempts: 1 });
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

async function codeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return (e as grpc.ServiceError).code;
  }
}

before(async () => {
  await home.run(['workspace', 'create', 'flow', '--json']);
});

after(async () => {
  await home.cleanup();
});

test('register, package and deploy the real MobileNetV2, then score every photo', async () => {
  const model = (
    await home.run([
      'model',
      'register',
      mobilenetPath,
      '--name',
      'mobilenet',
      '--preset',
      'mobilenetv2',
      '--json',
      ...W,
    ])
  ).json;
  assert.equal(model.id, 'mobilenet:1');

  const image = (
    await home.run([
      'image',
      'create',
      'mobilenet-image',
      '--model',
      'mobilenet:1',
      '--tag',
      'stage=test',
      '--json',
      ...W,
    ])
  ).json;
  assert.equal(image.id, 'mobilenet-image:1');
  assert.match(image.digest, /^[0-9a-f]{64}$/);
  const again = (await home.run(['image', 'create', 'mobilenet-image', '--model', 'mobilenet:1', '--json', ...W])).json;
  assert.equal(again.id, 'mobilenet-image:2');
  assert.equal(again.digest, image.digest, 'same model and settings → same content digest');
  const log = (await home.run(['image', 'log', 'mobilenet-image:1', ...W])).stdout;
  assert.match(log, /sha256 cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f \(verified\)/);
  assert.match(log, /layout NCHW matches input input float32/);

  const deployed = (await home.run(['service', 'deploy', 'classifier', '--image', 'mobilenet-image:1', '--json', ...W]))
    .json;
  assert.equal(deployed.state, 'Running');
  assert.equal(deployed.authEnabled, true);
  assert.equal(deployed.scoringUri, `grpc://127.0.0.1:${deployed.port}`);
  assert.equal(deployed.devices.length, 1);
  const hostPid = readHostInfo(home.home)?.pid;
  assert.ok(hostPid && isProcessAlive(hostPid), 'the host outlives the deploy command');

  const scored = (await home.run(['score', 'classifier', ...PHOTOS.map((p) => p.file), '--top', '5', '--json', ...W]))
    .json;
  assert.equal(scored.results.length, PHOTOS.length);
  for (const [i, photo] of PHOTOS.entries()) {
    const r = scored.results[i];
    const top5 = r.top.map((p: { index: number }) => p.index);
    assert.ok(
      photo.accepts(top5[0], top5),
      `${photo.file}: expected ${photo.expected}, got top-5 ${JSON.stringify(r.top)}`,
    );
    assert.ok(r.timings.totalMs > 0 && r.timings.inferenceMs >= 0);
  }
  const human = (await home.run(['score', 'classifier', PHOTOS[1].file, ...W])).stdout;
  assert.match(human, /macaw/);
  assert.match(human, /inference/);
});

test('keys, regenerated keys and the service staying up', async () => {
  const show = (await home.run(['service', 'show', 'classifier', '--json', ...W])).json;
  const keys = (await home.run(['service', 'keys', 'classifier', '--json', ...W])).json;
  assert.ok(keys.primaryKey.length >= 32 && keys.secondaryKey.length >= 32);
  const photo = PHOTOS[0].file;

  const withPrimary = clientFor(show.port, keys.primaryKey);
  const withSecondary = clientFor(show.port, keys.secondaryKey);
  await withPrimary.scoreFile(photo, { inputName: 'input' });
  await withSecondary.scoreFile(photo, { inputName: 'input' });
  assert.equal(
    await codeOf(clientFor(show.port, undefined).scoreFile(photo, { inputName: 'input' })),
    grpc.status.UNAUTHENTICATED,
  );
  assert.equal(
    await codeOf(clientFor(show.port, 'wrong-key').scoreFile(photo, { inputName: 'input' })),
    grpc.status.UNAUTHENTICATED,
  );

  const requestsBefore = show.requests;
  const regen = (await home.run(['service', 'regen-key', 'classifier', 'primary', '--json', ...W])).json;
  assert.notEqual(regen.primaryKey, keys.primaryKey);
  assert.equal(regen.secondaryKey, keys.secondaryKey);
  assert.equal(
    await codeOf(withPrimary.scoreFile(photo, { inputName: 'input' })),
    grpc.status.UNAUTHENTICATED,
    'the old primary key is refused at once',
  );
  await withSecondary.scoreFile(photo, { inputName: 'input' }); // same open channel, other key: still served
  await clientFor(show.port, regen.primaryKey).scoreFile(photo, { inputName: 'input' });
  const after = (await home.run(['service', 'show', 'classifier', '--json', ...W])).json;
  assert.equal(after.port, show.port);
  assert.ok(after.requests > requestsBefore, 'the endpoint was not restarted (its request count kept growing)');
  withPrimary.close();
  withSecondary.close();

  for (const file of filesUnder(home.home)) {
    const text = fs.readFileSync(file, 'latin1');
    for (const k of [regen.primaryKey, regen.secondaryKey, keys.primaryKey])
      assert.ok(!text.includes(k), `a key is stored in plain text in ${file}`);
  }
});

test('update replicas, then delete in dependency order', async () => {
  const updated = (await home.run(['service', 'update', 'classifier', '--replicas', '2', '--json', ...W])).json;
  assert.equal(updated.replicas, 2);
  assert.equal(updated.state, 'Running');
  assert.equal(updated.devices.length, 2);
  const scored = (await home.run(['score', 'classifier', PHOTOS[1].file, '--json', ...W])).json;
  assert.equal(scored.results[0].top[0].index, 88);

  const nothing = await home.run(['service', 'update', 'classifier', ...W], { expectFailure: true });
  assert.match(nothing.stderr, /Nothing to update/);

  const blocked = await home.run(['image', 'delete', 'mobilenet-image:1', ...W], { expectFailure: true });
  assert.match(blocked.stderr, /service classifier/);
  assert.match(blocked.stderr, /accel service delete classifier/);
  const modelBlocked = await home.run(['model', 'delete', 'mobilenet:1', ...W], { expectFailure: true });
  assert.match(modelBlocked.stderr, /image mobilenet-image:1/);

  const port = updated.port;
  await home.run(['service', 'delete', 'classifier', ...W]);
  const status = (await home.run(['emulator', 'status', '--json'])).json;
  assert.equal(status.services.length, 0);
  assert.ok(
    status.devices.devices.every((d: { owner?: string }) => d.owner === undefined),
    'devices released',
  );
  assert.notEqual(
    await codeOf(clientFor(port, undefined).scoreFile(PHOTOS[0].file, { inputName: 'input' })),
    undefined,
    'port no longer served',
  );

  await home.run(['image', 'delete', 'mobilenet-image:1', ...W]);
  await home.run(['image', 'delete', 'mobilenet-image:2', ...W]);
  await home.run(['model', 'delete', 'mobilenet:1', ...W]);
  assert.deepEqual((await home.run(['image', 'list', '--json', ...W])).json, []);

  const pid = readHostInfo(home.home)?.pid;
  const stopped = (await home.run(['emulator', 'stop', '--json'])).json;
  assert.equal(stopped.pid, pid);
  assert.equal(isProcessAlive(pid!), false);
});
