// Finding 11 of issue 10 (locking): blob garbage collection racing an `image create` or a `service deploy` that
// is about to reference a blob it shares, and two deploys in two workspaces racing for one service name or one
// port. Every race is forced, not hoped for: the competing command is a real CLI process started at the moment
// the race needs it (between storing a blob and committing the reference to it, or while both deploys wait for
// their workspace lock), and the outcome is checked on disk, in the host and over gRPC.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { createImage } from '../../../src/core/images';
import { deployService } from '../../../src/core/services';
import { findHost } from '../../../src/emulator/host/hostControl';
import { openStore, type FileStore } from '../../../src/store/fileStore';
import { withLock } from '../../../src/store/lock';
import { AccelHome, cliPath, setupImage, type CliResult } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

/** Runs the CLI without failing on a non-zero exit (the losing side of a race is expected to fail). */
function accel(home: string, args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ACCEL_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        json: code === 0 && args.includes('--json') ? JSON.parse(stdout) : undefined,
      }),
    ),
  );
}

/** Whether this process holds the workspace's lock right now (i.e. we are inside store.update). */
function holdsWorkspaceLock(store: FileStore, workspace: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(store.workspaceDir(workspace), '.lock'), 'utf8')).pid === process.pid;
  } catch {
    return false;
  }
}

/**
 * The store, except that right after the first blob matching `shared` is stored, `compete` (a CLI process that
 * garbage-collects that blob) runs. Outside the workspace lock it is awaited: the collection happens between
 * the put and the commit. Under the lock it cannot run before the commit, so it is started and left waiting.
 */
function racingStore(
  store: FileStore,
  workspace: string,
  shared: (bytes: Buffer) => boolean,
  compete: () => Promise<CliResult>,
) {
  let competitor: Promise<CliResult> | undefined;
  const racing = Object.create(store) as FileStore;
  racing.putBlob = async (ws, source) => {
    const stored = await store.putBlob(ws, source);
    if (!competitor && 'bytes' in source && shared(Buffer.from(source.bytes))) {
      competitor = compete();
      if (!holdsWorkspaceLock(store, workspace)) await competitor;
    }
    return stored;
  };
  return { racing, competitor: () => competitor };
}

describe('blob garbage collection racing a commit that references the blob', { timeout: 180_000 }, () => {
  const home = new AccelHome();
  const W = ['--workspace', 'gc'];
  let store: FileStore;

  before(async () => {
    await setupImage(home, 'gc', mobilenetPath);
    store = openStore(home.home);
  });

  after(async () => {
    await home.cleanup();
  });

  it('image create keeps its manifest blob while a delete of an image with the same manifest collects it', async () => {
    const first = (await store.read('gc')).images.find((i) => i.id === 'mobilenet-image:1')!;
    const { racing, competitor } = racingStore(
      store,
      'gc',
      (b) => b.includes('"kind"') && b.includes('"runtime"'),
      () => accel(home.home, ['image', 'delete', 'mobilenet-image:1', ...W]),
    );
    const image = await createImage(racing, 'gc', 'again', 'mobilenet:1');
    const deleted = await competitor();
    assert.equal(deleted?.code, 0, deleted?.stderr);
    assert.equal(image.digest, first.digest, 'both images share one manifest blob');
    const state = await store.read('gc');
    assert.deepEqual(
      state.images.map((i) => i.id),
      ['again:1'],
    );
    assert.ok(fs.existsSync(store.blobPath('gc', image.digest)), 'the manifest blob of again:1 was collected');
  });

  it('service deploy keeps its certificate blob while a delete of a service with the same certificate collects it', async () => {
    const dir = fs.mkdtempSync(path.join(home.home, 'pem-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
    const tls = { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') };
    fs.writeFileSync(tls.certFile, pems.cert);
    fs.writeFileSync(tls.keyFile, pems.private);
    const a = await deployService(store, 'gc', 'tls-a', 'again:1', { tls, authEnabled: false });
    const { racing, competitor } = racingStore(
      store,
      'gc',
      (b) => b.includes('BEGIN CERTIFICATE'),
      () => accel(home.home, ['service', 'delete', 'tls-a', ...W]),
    );
    const b = await deployService(racing, 'gc', 'tls-b', 'again:1', { tls, authEnabled: false });
    const deleted = await competitor();
    assert.equal(deleted?.code, 0, deleted?.stderr);
    assert.equal(b.tls!.certBlob, a.tls!.certBlob, 'both services share one certificate blob');
    assert.deepEqual(
      (await store.read('gc')).services.map((s) => s.name),
      ['tls-b'],
    );
    assert.ok(fs.existsSync(store.blobPath('gc', b.tls!.certBlob)), 'the certificate blob of tls-b was collected');
    assert.ok(fs.existsSync(store.blobPath('gc', b.tls!.keyBlob)));
  });
});

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('two deploys in two workspaces racing for one name or one port', { timeout: 240_000 }, () => {
  const home = new AccelHome({ ACCEL_DEVICES: '4' });
  let store: FileStore;

  before(async () => {
    await setupImage(home, 'w1', mobilenetPath);
    await setupImage(home, 'w2', mobilenetPath);
    await home.run(['emulator', 'start']);
    store = openStore(home.home);
  });

  after(async () => {
    await home.cleanup();
  });

  /**
   * Starts both deploys while this test holds both workspace locks, so each gets as far as its commit (and,
   * without a home-wide lock, through its uniqueness checks), then lets them go.
   */
  async function race(args1: string[], args2: string[]): Promise<[CliResult, CliResult]> {
    const lock = (ws: string) => path.join(store.workspaceDir(ws), '.lock');
    let runs!: Promise<[CliResult, CliResult]>;
    await withLock(lock('w1'), 'Workspace "w1"', () =>
      withLock(lock('w2'), 'Workspace "w2"', async () => {
        runs = Promise.all([
          accel(home.home, [...args1, '--workspace', 'w1']),
          accel(home.home, [...args2, '--workspace', 'w2']),
        ]);
        // Scheduling, not an assertion: give both CLIs time to reach their commit before the locks go.
        await new Promise((resolve) => setTimeout(resolve, 4000));
      }),
    );
    return runs;
  }

  async function servicesNamed(name: string) {
    const found = [];
    for (const ws of ['w1', 'w2'])
      for (const s of (await store.read(ws)).services) if (s.name === name) found.push({ ws, s });
    return found;
  }

  it('one name: exactly one deploy wins, the other is refused naming the winner', async () => {
    const [r1, r2] = await race(
      ['service', 'deploy', 'same', '--image', 'mobilenet-image', '--no-auth', '--json'],
      ['service', 'deploy', 'same', '--image', 'mobilenet-image', '--no-auth', '--json'],
    );
    const results = [r1, r2];
    assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => `${r.code} ${r.stderr}`).join('\n'));
    const loser = results.find((r) => r.code !== 0)!;
    assert.equal(loser.code, 4, loser.stderr);
    assert.match(loser.stderr, /A service named \\?"same\\?" already exists in workspace \\?"w[12]\\?"/);
    const stored = await servicesNamed('same');
    assert.equal(stored.length, 1);
    const live = (await (await findHost(home.home))!.status()).services.filter((s) => s.name === 'same');
    assert.deepEqual(
      live.map((s) => [s.workspace, s.state]),
      [[stored[0].ws, 'Running']],
    );
  });

  it('one port: exactly one deploy gets it, the other is refused naming the holder', async () => {
    const port = await freePort();
    const [r1, r2] = await race(
      ['service', 'deploy', 'port-a', '--image', 'mobilenet-image', '--no-auth', '--port', String(port), '--json'],
      ['service', 'deploy', 'port-b', '--image', 'mobilenet-image', '--no-auth', '--port', String(port), '--json'],
    );
    const results = [r1, r2];
    assert.equal(results.filter((r) => r.code === 0).length, 1, results.map((r) => `${r.code} ${r.stderr}`).join('\n'));
    const loser = results.find((r) => r.code !== 0)!;
    assert.equal(loser.code, 4, loser.stderr);
    assert.match(loser.stderr, new RegExp(`Port ${port} is already used by service`));
    const onPort = [...(await servicesNamed('port-a')), ...(await servicesNamed('port-b'))];
    assert.equal(onPort.length, 1);
    assert.equal(onPort[0].s.port, port);
  });
});
