// `accel image export` writes a Docker build context that builds offline (run-time packages vendored); its entry
// point runs standalone from the context alone (as the container's CMD would, minus the engine) and answers
// Predict with the same results as the deployed service. test/integration/container/ builds and runs it for real.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import selfsigned from 'selfsigned';
import { PredictionClient } from '../../../src/client/predictionClient';
import { topK } from '../../../src/client/topK';
import { labelsFor } from '../../../src/catalog/labels';
import { DevicePool } from '../../../src/emulator/runtime/devicePool';
import { startServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath, repoRoot } from '../../support/paths';
import { mobilenetModel } from '../emulator/endpointHarness';
import { healthCheck } from '../emulator/wireClients';

const home = new AccelHome();
const W = ['--workspace', 'exp'];
let context = '';
const children: ChildProcess[] = [];

before(async () => {
  await setupImage(home, 'exp', mobilenetPath);
  context = path.join(home.home, 'export', 'mobilenet-image');
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await home.cleanup();
});

/** Runs the exported entry point the way the Dockerfile's CMD does, on the context's own vendored node_modules. */
function runStandalone(
  env: Record<string, string>,
  args: string[] = [],
): { child: ChildProcess; port: Promise<number>; healthPort: Promise<number>; output: () => string } {
  const manifest = path.join(context, 'model', 'manifest.json');
  const model = path.join(context, 'model', 'model.onnx');
  // The Node flags come from the Dockerfile's CMD (everything between "node" and the script).
  const cmd = JSON.parse(/^CMD (.*)$/m.exec(fs.readFileSync(path.join(context, 'Dockerfile'), 'utf8'))![1]) as string[];
  const nodeFlags = cmd.slice(1, cmd.indexOf('dist/emulator.js'));
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      path.join(context, 'dist', 'emulator.js'),
      '--standalone',
      '--manifest',
      manifest,
      '--model',
      model,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...args,
    ],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd: context,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  const logged = (pattern: RegExp) =>
    new Promise<number>((resolve, reject) => {
      const onData = () => {
        const m = pattern.exec(out);
        if (m) resolve(Number(m[1]));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => reject(new Error(`standalone exited ${code}: ${out}`)));
    });
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const port = logged(/on grpc port (\d+)/);
  const healthPort = logged(/, health port (\d+)/);
  healthPort.catch(() => undefined); // only the tests that ask for a health port wait for it
  return { child, port, healthPort, output: () => out };
}

test('export writes a Docker build context with the bundled emulator, the model and its manifest', async () => {
  const result = (await home.run(['image', 'export', 'mobilenet-image:1', context, '--json', ...W])).json;
  assert.equal(result.dir, context);
  for (const file of [
    'Dockerfile',
    'README.md',
    'package.json',
    'dist/emulator.js',
    'dist/inferenceWorker.js',
    'model/manifest.json',
    'model/model.onnx',
    'media/labels/imagenet-simple-labels.json',
    'node_modules/',
  ]) {
    assert.ok(result.files.includes(file), `${file} in ${result.files.join(', ')}`);
  }
  assert.ok(result.files.some((f: string) => f.startsWith('dist/protos/tensorflow_serving/apis/')));
  const dockerfile = fs.readFileSync(path.join(context, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^ARG BASE_IMAGE=node:22-bookworm-slim$/m);
  assert.match(dockerfile, /^FROM \$\{BASE_IMAGE\}$/m);
  assert.doesNotMatch(dockerfile, /^RUN /m, 'nothing runs at build time: no npm install, no network');
  assert.match(dockerfile, /^COPY node_modules\/ \.\/node_modules\/$/m);
  assert.match(dockerfile, /^USER 10001:10001$/m);
  assert.match(dockerfile, /^EXPOSE 50051 50052$/m);
  assert.match(dockerfile, /^ENV NODE_ENV=production ACCEL_PORT=50051 ACCEL_HEALTH_PORT=50052$/m);
  assert.match(dockerfile, /^HEALTHCHECK .* CMD \["node","dist\/emulator.js","--health-check"\]$/m);
  assert.match(dockerfile, /^ {6}com\.accelerated-models\.image\.digest="sha256:[0-9a-f]{64}"/m);
  assert.match(
    dockerfile,
    /^CMD \["node","--initial-old-space-size=128","dist\/emulator.js","--standalone","--manifest","model\/manifest.json","--model","model\/model.onnx"\]$/m,
    'the serving Node flags (src/emulator/host/nodeFlags.ts)',
  );
  // Vendored: exactly the installed versions, linux-x64 native binaries only.
  const vendored = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(context, 'node_modules', name, 'package.json'), 'utf8')).version;
  for (const name of [
    'onnxruntime-node',
    'sharp',
    '@julusian/jpeg-turbo',
    '@grpc/grpc-js',
    'grpc-health-check',
    '@grpc/reflection',
    '@img/sharp-linux-x64',
    '@img/sharp-libvips-linux-x64',
    'protobufjs',
  ]) {
    assert.equal(
      vendored(name),
      JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version,
      name,
    );
  }
  assert.deepEqual(fs.readdirSync(path.join(context, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6')), ['linux']);
  assert.deepEqual(fs.readdirSync(path.join(context, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux')), [
    'x64',
  ]);
  assert.deepEqual(fs.readdirSync(path.join(context, 'node_modules', '@julusian', 'jpeg-turbo', 'prebuilds')), [
    'jpeg-turbo-linux-x64',
  ]);
  assert.equal(fs.existsSync(path.join(context, 'node_modules', 'cmake-js')), false, 'build-time packages stay out');
  const pkg = JSON.parse(fs.readFileSync(path.join(context, 'package.json'), 'utf8'));
  assert.match(pkg.dependencies['onnxruntime-node'], /^\d+\.\d+\.\d+$/, 'pinned, not a range');
  assert.match(pkg.dependencies.sharp, /^\d+\.\d+\.\d+$/);
  assert.equal(pkg.dependencies['@julusian/jpeg-turbo'], '2.3.0', 'the JPEG decoder, pinned (3.x needs N-API 10)');
  const image = (await home.run(['image', 'show', 'mobilenet-image:1', '--json', ...W])).json;
  const manifestBytes = fs.readFileSync(path.join(context, 'model', 'manifest.json'));
  assert.equal((await import('node:crypto')).createHash('sha256').update(manifestBytes).digest('hex'), image.digest);

  const again = await home.run(['image', 'export', 'mobilenet-image:1', context, ...W], { expectFailure: true });
  assert.match(again.stderr, /is not empty/);
});

test('the exported entry point serves the model standalone with keys from the environment', async () => {
  const key = 'standalone-test-key-0123456789abcdef';
  const run = runStandalone({ ACCEL_PRIMARY_KEY: key, ACCEL_SERVICE_NAME: 'exported' }, ['--health-port', '0']);
  const port = await run.port;
  assert.equal(await healthCheck(await run.healthPort, 'exported'), 'SERVING');
  const client = new PredictionClient('127.0.0.1', port, false, key, 'exported', undefined, { attempts: 1 });
  for (const photo of PHOTOS.slice(0, 5)) {
    const r = await client.scoreFile(photo.file); // input name from GetModelMetadata
    const top5 = topK(r.outputs.output.data, labelsFor('imagenet-1000'), 5).map((p) => p.index);
    assert.ok(photo.accepts(top5[0], top5), `${photo.file}: expected ${photo.expected}, got ${top5}`);
  }
  client.close();
  const noKey = new PredictionClient('127.0.0.1', port, false, undefined, 'exported', undefined, { attempts: 1 });
  await assert.rejects(
    noKey.scoreFile(PHOTOS[0].file, { inputName: 'input' }),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED,
  );
  noKey.close();

  // The image's HEALTHCHECK: the context's own entry point asks grpc.health.v1 (exit 0 only when SERVING).
  const imageHealthCheck = (port: number) =>
    spawnSync(process.execPath, [path.join(context, 'dist', 'emulator.js'), '--health-check'], {
      env: { PATH: process.env.PATH ?? '', ACCEL_HEALTH_PORT: String(port) },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const healthy = imageHealthCheck(await run.healthPort);
  assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
  assert.match(healthy.stdout, /SERVING/);
  const closed = imageHealthCheck(port === 1 ? 2 : 1);
  assert.equal(closed.status, 1, 'nothing listens there');

  run.child.kill('SIGTERM');
  const code = await new Promise((resolve) => run.child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0, run.output());
});

test('standalone refuses to start without a key unless auth is disabled explicitly, and checks the model file', async () => {
  const noKey = runStandalone({});
  await assert.rejects(noKey.port, /No key configured: set ACCEL_PRIMARY_KEY/);
  const model = path.join(context, 'model', 'model.onnx');
  const bytes = fs.readFileSync(model);
  fs.writeFileSync(model, bytes.subarray(0, bytes.length - 1));
  try {
    const damaged = runStandalone({ ACCEL_AUTH: 'disabled' });
    await assert.rejects(damaged.port, /does not match the manifest/);
  } finally {
    fs.writeFileSync(model, bytes);
  }
});

test('a TLS standalone answers plain-text health checks on its health port (health only: Predict is UNIMPLEMENTED there)', async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });
  const tlsDir = fs.mkdtempSync(path.join(home.home, 'tls-'));
  fs.writeFileSync(path.join(tlsDir, 'tls.crt'), pems.cert);
  fs.writeFileSync(path.join(tlsDir, 'tls.key'), pems.private);
  const key = 'standalone-tls-key-0123456789abcdef';
  const run = runStandalone({
    ACCEL_PRIMARY_KEY: key,
    ACCEL_SERVICE_NAME: 'exported-tls',
    ACCEL_HEALTH_PORT: '0', // as the Dockerfile's ENV sets it
    ACCEL_TLS_CERT_FILE: path.join(tlsDir, 'tls.crt'),
    ACCEL_TLS_KEY_FILE: path.join(tlsDir, 'tls.key'),
  });
  const [port, healthPort] = await Promise.all([run.port, run.healthPort]);
  assert.notEqual(healthPort, port);
  for (const name of ['exported-tls', ''])
    assert.equal(await healthCheck(healthPort, name), 'SERVING', `Check("${name}") in plain text`);
  await assert.rejects(
    healthCheck(healthPort, 'tensorflow.serving.PredictionService'),
    (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
  );

  const onHealthPort = new PredictionClient('127.0.0.1', healthPort, false, key, 'exported-tls', undefined, {
    attempts: 1,
  });
  await assert.rejects(
    onHealthPort.scoreFile(PHOTOS[0].file, { inputName: 'input' }),
    (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED,
  );
  onHealthPort.close();
  const overTls = new PredictionClient('localhost', port, true, key, 'exported-tls', pems.cert, { attempts: 1 });
  const r = await overTls.scoreFile(PHOTOS[0].file);
  const top5 = topK(r.outputs.output.data, labelsFor('imagenet-1000'), 5).map((p) => p.index);
  assert.ok(
    PHOTOS[0].accepts(top5[0], top5),
    `${PHOTOS[0].file} over TLS: expected ${PHOTOS[0].expected}, got ${top5}`,
  );
  overTls.close();

  run.child.kill('SIGTERM');
  const code = await new Promise((resolve) => run.child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0, run.output());
});

test('the health port says NOT_SERVING while the model is not loaded (a model that cannot load never gets there)', async () => {
  const bad = path.join(home.home, 'not-a-model.onnx');
  fs.writeFileSync(bad, 'not an onnx model');
  const endpoint = await startServiceEndpoint(
    {
      model: { ...mobilenetModel('unloadable'), modelPath: bad },
      port: 0,
      healthPort: 0,
      replicas: 1,
      auth: { enabled: false, keyHashes: [] },
    },
    new DevicePool(1),
  );
  try {
    assert.equal(await healthCheck(endpoint.healthPort!, 'unloadable'), 'NOT_SERVING', 'before the load has settled');
    await assert.rejects(endpoint.ready, /could not load its model/);
    for (const name of ['unloadable', ''])
      assert.equal(
        await healthCheck(endpoint.healthPort!, name),
        'NOT_SERVING',
        `after the load failed: Check("${name}")`,
      );
    assert.equal(await healthCheck(endpoint.port, 'unloadable'), 'NOT_SERVING', 'the main port agrees');
  } finally {
    await endpoint.stop();
  }
  await assert.rejects(
    healthCheck(endpoint.healthPort!, 'unloadable'),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
  );
});
