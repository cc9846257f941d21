// TLS enabled, rotated and dropped on a running container service (real podman, the offline base image of
// test/support/containerBase.ts): the containers are recreated with the new certificate folder and serve it; a
// change whose containers do not turn healthy puts the previous ones back and leaves the store as it was.
// Skipped only when podman is not installed on a developer's machine; under CI it must run.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { after, before, test } from 'node:test';
import { PredictionClient } from '../../../src/client/predictionClient';
import {
  containerStates,
  deleteContainerService,
  deployContainerService,
  updateContainerTls,
} from '../../../src/container/containerServices';
import { getServiceKeys, readTls, tlsPems } from '../../../src/core/services';
import { isAccelError } from '../../../src/domain/errors';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { BASE_IMAGE, ensureBaseImage, hasCommand, podmanArgs } from '../../support/containerBase';
import { mobilenetPath } from '../../support/paths';

const hasPodman = hasCommand('podman');
if (!hasPodman && process.env.CI)
  throw new Error(
    'podman is missing under CI: .ci/run installs podman, runc and debootstrap with apt-get; check that step.',
  );
const skip = hasPodman
  ? false
  : 'podman is not installed: install it (apt-get install -y --no-install-recommends podman runc debootstrap) to run the container tests';

const confDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'accel-ctr-tls-conf-'));
const containersConf = path.join(confDir, 'containers.conf');
fs.writeFileSync(
  containersConf,
  '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n',
);
const engineEnv = { CONTAINERS_CONF: containersConf, ACCEL_CONTAINER_ENGINE: 'podman' };
// The service calls below run in this process, so it needs the engine settings too.
Object.assign(process.env, engineEnv);
const home = new AccelHome(engineEnv);
const WS = 'ctrtls';
const TAG = `localhost/accel-test-tls-${Math.random().toString(36).slice(2, 8)}:1`;
const NAME = 'tls-upd';
const photo = PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!;
let store: FileStore;

function podman(...args: string[]): { status: number; stdout: string } {
  const r = spawnSync('podman', podmanArgs(...args), {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: containersConf },
    timeout: 5 * 60_000,
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '' };
}

async function score(port: number, key: string, ca?: string): Promise<number> {
  const client = new PredictionClient(ca ? 'localhost' : '127.0.0.1', port, !!ca, key, NAME, ca, { attempts: 1 });
  try {
    const r = await client.scoreFile(photo.file, { inputName: 'input' });
    return r.outputs.output.data.length;
  } finally {
    client.close();
  }
}

/** The sha256 fingerprint of the certificate the port serves. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

before(async () => {
  if (!hasPodman) return;
  ensureBaseImage(() => undefined);
  await setupImage(home, WS, mobilenetPath);
  await home.run(['image', 'build', 'mobilenet-image:1', '--tag', TAG, '--base-image', BASE_IMAGE, '--workspace', WS]);
  store = openStore(home.home);
});

after(async () => {
  if (!hasPodman) return;
  const left = podman('ps', '-a', '--filter', `label=com.accelerated-models.service=${NAME}`, '--format', '{{.Names}}');
  for (const name of left.stdout.split('\n').filter(Boolean)) podman('rm', '--force', '--time', '2', name);
  podman('rmi', '--force', TAG);
  fs.rmSync(confDir, { recursive: true, force: true });
  await home.cleanup();
});

test('TLS is enabled, rotated and dropped on a running container service', { skip }, async () => {
  const { service } = await deployContainerService(store, WS, NAME, 'mobilenet-image:1', { network: 'host' });
  const port = service.port;
  const keys = await getServiceKeys(store, WS, NAME);
  assert.equal(await score(port, keys.primaryKey), 1000, 'plain text before');

  // Enable: a self-signed certificate for localhost, mounted into recreated containers.
  const enabled = await updateContainerTls(store, WS, NAME, 'self-signed');
  assert.equal(enabled.service.tls?.selfSigned, true);
  assert.equal(enabled.containers[0].state, 'running');
  const first = readTls(store, WS, enabled.service)!.certPem;
  assert.equal(await score(port, keys.primaryKey, first), 1000, 'TLS after enabling');
  await assert.rejects(
    score(port, keys.primaryKey),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    'plain text is refused once TLS is on',
  );
  assert.equal(await servedFingerprint(port), new crypto.X509Certificate(first).fingerprint256);
  const env = podman('container', 'inspect', enabled.containers[0].name, '--format', '{{json .Config.Env}}').stdout;
  assert.match(env, /ACCEL_TLS_CERT_FILE=\/run\/secrets\/accel\/tls.crt/);

  // Rotate to a certificate from PEM files: the containers serve the new one.
  const next = (await tlsPems('self-signed'))!;
  const dir = fs.mkdtempSync(path.join(home.home, 'pem-'));
  fs.writeFileSync(path.join(dir, 'cert.pem'), next.certPem);
  fs.writeFileSync(path.join(dir, 'key.pem'), next.keyPem);
  const rotated = await updateContainerTls(store, WS, NAME, {
    certFile: path.join(dir, 'cert.pem'),
    keyFile: path.join(dir, 'key.pem'),
  });
  assert.equal(rotated.service.tls?.selfSigned, false);
  assert.equal(await servedFingerprint(port), new crypto.X509Certificate(next.certPem).fingerprint256);
  assert.equal(await score(port, keys.primaryKey, next.certPem), 1000);

  // A change whose containers do not turn healthy in time: the previous containers and certificate come back.
  await assert.rejects(
    updateContainerTls(store, WS, NAME, 'self-signed', { readyTimeoutMs: 1 }),
    (e) => isAccelError(e) && /restarted with the previous TLS; nothing changed/.test(e.message),
  );
  const kept = (await store.read(WS)).services.find((s) => s.name === NAME)!;
  assert.deepEqual(kept.tls, rotated.service.tls, 'the store is unchanged');
  assert.equal(await servedFingerprint(port), new crypto.X509Certificate(next.certPem).fingerprint256);
  assert.equal(await score(port, keys.primaryKey, next.certPem), 1000, 'serves the previous certificate again');

  // Drop: plain text again, the certificate folder gone.
  const dropped = await updateContainerTls(store, WS, NAME, 'off');
  assert.equal(dropped.service.tls, undefined);
  assert.equal(await score(port, keys.primaryKey), 1000, 'plain text after dropping TLS');
  await assert.rejects(
    updateContainerTls(store, WS, NAME, 'off'),
    (e) => isAccelError(e, 'InvalidArgument') && /does not serve TLS/.test(e.message),
  );
  assert.equal((await containerStates(dropped.service))[0].state, 'running');
  await deleteContainerService(store, WS, NAME);
});
