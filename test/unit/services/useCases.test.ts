// Images and services as store use cases (no emulator): validation, versions, digests, keys, ports, devices.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { createImage, deleteImage, getImage, listImages, readImageLog } from '../../../src/core/images';
import { registerModel } from '../../../src/core/models';
import {
  deleteService,
  deployService,
  getServiceKeys,
  hashKey,
  listServices,
  readTls,
  regenerateKey,
  scoringUri,
  updateService,
} from '../../../src/core/services';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-b2-unit-'));
const store = openStore(home);

before(async () => {
  await store.createWorkspace('one');
  await store.createWorkspace('two');
  await registerModel(store, 'one', { path: mobilenetPath, name: 'mobilenet', preset: 'mobilenetv2' });
  await createImage(store, 'one', 'img', 'mobilenet:1');
});

test('images are versioned by name, content-addressed, and carry a build log', async () => {
  const second = await createImage(store, 'one', 'img', 'mobilenet', { description: 'again', tags: { stage: 'dev' } });
  const first = await getImage(store, 'one', 'img:1');
  assert.equal(second.id, 'img:2');
  assert.equal(second.digest, first.digest);
  assert.equal((await getImage(store, 'one', 'img')).id, 'img:2', 'latest by default');
  assert.deepEqual(
    (await listImages(store, 'one', { tag: 'stage=dev' })).map((i) => i.id),
    ['img:2'],
  );
  const manifest = JSON.parse(fs.readFileSync(store.blobPath('one', first.digest), 'utf8'));
  assert.equal(manifest.model.sha256, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f');
  assert.equal(manifest.preset, 'mobilenetv2');
  assert.deepEqual(
    manifest.inputs.map((t: { name: string }) => t.name),
    ['input'],
  );
  assert.match(await readImageLog(store, 'one', 'img:2'), /digest sha256:[0-9a-f]{64}/);
  await assert.rejects(deleteImage(store, 'one', 'img'), /Name the version to delete/);
  await deleteImage(store, 'one', 'img:2');
  await assert.rejects(getImage(store, 'one', 'img:2'), /No image "img:2".*versions: img:1/);
});

test('bad image inputs get their fix and write nothing', async () => {
  await registerModel(store, 'one', { path: mobilenetPath, name: 'wrongpreset', preset: 'ssdvgg' });
  await store.update('one', (state) => {
    const tf = structuredClone(state.models.find((m) => m.id === 'wrongpreset:1')!);
    Object.assign(tf, { id: 'frozen:1', name: 'frozen', framework: 'tensorflow' });
    state.models.push(tf);
  });
  const before = fs.readFileSync(store.stateFile('one'));
  await assert.rejects(createImage(store, 'one', 'Bad Name', 'mobilenet:1'), /not a valid image name/);
  await assert.rejects(createImage(store, 'one', 'img', 'nope:1'), /Model nope is not registered.*accel model list/);
  await assert.rejects(
    createImage(store, 'one', 'img', 'wrongpreset:1'),
    /preset "ssdvgg" \(300x300 RGB images\).*--preset/,
  );
  await assert.rejects(createImage(store, 'one', 'img', 'frozen:1'), /TensorFlow model.*accel model convert frozen:1/);
  assert.deepEqual(fs.readFileSync(store.stateFile('one')), before, 'the workspace state is unchanged');
});

test('deploy writes hashed and sealed keys, a stable port and the scoring URI', async () => {
  const svc = await deployService(store, 'one', 'svc-a', 'img:1', { deviceCount: 2 });
  assert.equal(svc.authEnabled, true);
  assert.ok(svc.port > 0);
  assert.equal(scoringUri(svc), `grpc://127.0.0.1:${svc.port}`);
  const keys = await getServiceKeys(store, 'one', 'svc-a');
  assert.equal(hashKey(keys.primaryKey), svc.keys!.primaryHash);
  assert.equal(hashKey(keys.secondaryKey), svc.keys!.secondaryHash);
  assert.ok(!fs.readFileSync(store.stateFile('one'), 'utf8').includes(keys.primaryKey));

  const regen = await regenerateKey(store, 'one', 'svc-a', 'secondary');
  assert.equal(regen.primaryKey, keys.primaryKey);
  assert.notEqual(regen.secondaryKey, keys.secondaryKey);
  await assert.rejects(regenerateKey(store, 'one', 'svc-a', 'tertiary' as 'primary'), /Use primary or secondary/);
});

test('names, ports and devices are checked across the whole home', async () => {
  const a = (await listServices(store, 'one'))[0];
  await assert.rejects(deployService(store, 'two', 'svc-a', 'img:1'), /already exists in workspace "one"/);
  await assert.rejects(
    deployService(store, 'one', 'svc-b', 'img:1', { port: a.port }),
    new RegExp(`Port ${a.port} is already used by service "svc-a" \\(workspace "one"\\)`),
  );
  await assert.rejects(
    deployService(store, 'one', 'svc-b', 'img:1', { replicas: 2, deviceCount: 2 }),
    /it needs 2, 1 of 2 free\. Held by "svc-a"/,
  );
  await assert.rejects(deployService(store, 'one', 'svc-b', 'img:1', { replicas: 0 }), /whole number ≥ 1/);
  await assert.rejects(updateService(store, 'one', 'svc-a', {}), /Nothing to update/);
  await assert.rejects(updateService(store, 'one', 'svc-a', { replicas: 3, deviceCount: 2 }), /only 2/);
  const { before, after } = await updateService(store, 'one', 'svc-a', {
    replicas: 2,
    authEnabled: false,
    deviceCount: 2,
  });
  assert.equal(before.replicas, 1);
  assert.equal(after.replicas, 2);
  assert.equal(after.authEnabled, false);
  assert.equal(after.port, a.port, 'the port stays');
});

test('self-signed TLS: certificate stored, private key sealed', async () => {
  const svc = await deployService(store, 'one', 'svc-tls', 'img:1', { tls: 'self-signed' });
  assert.equal(scoringUri(svc), `grpcs://localhost:${svc.port}`);
  const tls = readTls(store, 'one', svc)!;
  assert.match(tls.certPem, /BEGIN CERTIFICATE/);
  assert.match(tls.keyPem, /BEGIN PRIVATE KEY/);
  assert.ok(
    !fs.readFileSync(store.blobPath('one', svc.tls!.keyBlob), 'utf8').includes('PRIVATE KEY'),
    'the key blob is sealed',
  );
  await assert.rejects(
    deployService(store, 'one', 'svc-x', 'img:1', { tls: { certFile: '/nope/cert.pem', keyFile: '/nope/key.pem' } }),
    /--ssl-cert \/nope\/cert.pem: no such file/,
  );
  await deleteService(store, 'one', 'svc-tls');
  assert.deepEqual(
    (await listServices(store, 'one')).map((s) => s.name),
    ['svc-a'],
  );
});
