// `accel image edge-manifest` writes an Azure IoT Edge deployment manifest: checked against the deployment
// schema subset in test/fixtures/iotedge (written from the IoT Edge docs), with the module's port binding,
// keys and restart policy where the edge agent reads them.
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { AccelHome, setupImage } from '../../support/accelCli';
import { mobilenetPath, repoRoot } from '../../support/paths';

const home = new AccelHome();
const W = ['--workspace', 'edge'];
const schema = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'iotedge', 'deployment.schema.json'), 'utf8'),
);
const compiled = new Ajv({ allErrors: true, strict: false }).compile(schema);
// A plain boolean check (the compiled function is a type guard that would narrow the manifest to unknown).
const validate = Object.assign((data: unknown): boolean => compiled(data) as boolean, {
  get errors() {
    return compiled.errors;
  },
});

before(async () => {
  await setupImage(home, 'edge', mobilenetPath);
});

after(async () => {
  await home.cleanup();
});

test('edge-manifest writes a deployment the IoT Edge schema accepts, with the model module on 50051 and its keys', async () => {
  const file = path.join(home.home, 'deployment.json');
  const out = (
    await home.run([
      'image',
      'edge-manifest',
      'mobilenet-image:1',
      '--registry',
      'myacr.azurecr.io',
      '--device',
      'databox-1',
      '-o',
      file,
      '--json',
      ...W,
    ])
  ).json;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok(validate(manifest), JSON.stringify(validate.errors, null, 2));
  assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the manifest holds keys');
  assert.equal(out.apply, `az iot edge set-modules --hub-name <iot-hub> --device-id databox-1 --content ${file}`);

  const agent = manifest.modulesContent.$edgeAgent['properties.desired'];
  const module = agent.modules['mobilenet-image'];
  assert.equal(module.settings.image, 'myacr.azurecr.io/accel-mobilenet-image:1');
  assert.equal(module.restartPolicy, 'always');
  const createOptions = JSON.parse(module.settings.createOptions);
  assert.deepEqual(createOptions.HostConfig.PortBindings['50051/tcp'], [{ HostPort: '50051' }]);
  assert.deepEqual(createOptions.ExposedPorts, { '50051/tcp': {} });
  assert.equal(module.env.ACCEL_PRIMARY_KEY.value, out.keys.primaryKey);
  assert.equal(module.env.ACCEL_SECONDARY_KEY.value, out.keys.secondaryKey);
  assert.ok(out.keys.primaryKey.length >= 40 && out.keys.primaryKey !== out.keys.secondaryKey);
  assert.equal(agent.runtime.settings.registryCredentials, undefined, 'no credentials unless asked for');
  assert.match(agent.systemModules.edgeHub.settings.image, /^mcr\.microsoft\.com\/azureiotedge-hub:1\.5$/);

  // The schema is not vacuous: the same manifest without the module's restart policy or with a bad status fails.
  const broken = structuredClone(manifest);
  delete broken.modulesContent.$edgeAgent['properties.desired'].modules['mobilenet-image'].restartPolicy;
  assert.equal(validate(broken), false);
  const badStatus = structuredClone(manifest);
  badStatus.modulesContent.$edgeAgent['properties.desired'].modules['mobilenet-image'].status = 'paused';
  assert.equal(validate(badStatus), false);
});

test('edge-manifest with registry credentials (password from the environment); bad registries and modules are refused', async () => {
  const withCreds = new AccelHome({ ACCEL_REGISTRY_PASSWORD: 'p4ss' });
  try {
    await setupImage(withCreds, 'edge', mobilenetPath);
    const out = (
      await withCreds.run([
        'image',
        'edge-manifest',
        'mobilenet-image',
        '--registry',
        'myacr.azurecr.io',
        '--registry-username',
        'myacr',
        '--json',
        ...W,
      ])
    ).json;
    assert.ok(validate(out.manifest), JSON.stringify(validate.errors, null, 2));
    assert.deepEqual(
      out.manifest.modulesContent.$edgeAgent['properties.desired'].runtime.settings.registryCredentials,
      { myacr: { username: 'myacr', password: 'p4ss', address: 'myacr.azurecr.io' } },
    );
  } finally {
    await withCreds.cleanup();
  }
  const noPassword = await home.run(
    [
      'image',
      'edge-manifest',
      'mobilenet-image',
      '--registry',
      'myacr.azurecr.io',
      '--registry-username',
      'myacr',
      ...W,
    ],
    { expectFailure: true },
  );
  assert.match(noPassword.stderr, /ACCEL_REGISTRY_PASSWORD/);
  const badRegistry = await home.run(
    ['image', 'edge-manifest', 'mobilenet-image', '--registry', 'https://myacr.azurecr.io/x', ...W],
    { expectFailure: true },
  );
  assert.match(badRegistry.stderr, /is not a registry host\. Give e\.g\. myacr\.azurecr\.io/);
  const badModule = await home.run(
    ['image', 'edge-manifest', 'mobilenet-image', '--registry', 'myacr.azurecr.io', '--module', '$edgeHub', ...W],
    { expectFailure: true },
  );
  assert.match(badModule.stderr, /Module name "\$edgeHub" is not valid/);
});
