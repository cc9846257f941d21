// Finding 7 of issue 10: a recorded pid is acted on only once the process is proven to be the recorder. The
// records (emulator.json, emulator.lock, a workspace's store lock) name a live, unrelated process — a `sleep` this
// test spawns, standing for a process that got the pid of a host that died — and the real CLI must neither signal
// it nor wait for it, while a live holder with its real identity is still respected.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { acquireHostLock, HostAlreadyRunning } from '../../../src/emulator/host/host';
import { HOST_INFO_FILE, HOST_LOCK_FILE, readHostRecord } from '../../../src/emulator/host/hostControl';
import { isProcessAlive, processIdentity } from '../../../src/processAlive';
import { openStore } from '../../../src/store/fileStore';
import { AccelHome } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const sleepers: ChildProcess[] = [];

/** A live process that is not an emulator host; it dies on any signal a stop would send. */
function unrelatedProcess(): number {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  sleepers.push(child);
  assert.ok(child.pid && isProcessAlive(child.pid));
  return child.pid;
}

/** The identity a host that died had: the same pid, an earlier start and the emulator's command line. */
function identityOfADeadHost(pid: number, home: string) {
  const live = processIdentity(pid)!;
  const [boot, ticks] = live.started!.split(':');
  return {
    pid,
    started: `${boot}:${Math.max(1, Number(ticks) - 1000)}`,
    cmdline: [process.execPath, path.join('dist', 'emulator.js'), '--home', home],
  };
}

async function endProcess(pid: number): Promise<void> {
  const child = sleepers.find((c) => c.pid === pid)!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** A local port nothing listens on. */
const CLOSED_PORT = 9;

after(() => {
  for (const child of sleepers) child.kill('SIGKILL');
});

describe('emulator stop with a record whose pid was reused', () => {
  const home = new AccelHome();
  after(() => home.cleanup());

  it('does not signal the process, says the record is stale, and removes it', async () => {
    await home.run(['workspace', 'create', 'w', '--json']);
    const pid = unrelatedProcess();
    const record = {
      pid,
      controlPort: CLOSED_PORT,
      token: 'a'.repeat(48),
      startTime: new Date().toISOString(),
      version: '0.1.0',
      devices: 4,
      home: home.home,
      identity: identityOfADeadHost(pid, home.home),
    };
    fs.writeFileSync(path.join(home.home, HOST_INFO_FILE), JSON.stringify(record), { mode: 0o600 });
    fs.writeFileSync(
      path.join(home.home, HOST_LOCK_FILE),
      JSON.stringify({
        pid,
        host: os.hostname(),
        since: record.startTime,
        started: record.identity.started,
        cmdline: record.identity.cmdline,
      }),
      { mode: 0o600 },
    );

    const stop = await home.run(['emulator', 'stop']);
    assert.match(stop.stdout, /stale/);
    assert.match(stop.stdout, new RegExp(`pid ${pid} now belongs to another process`));
    assert.match(stop.stdout, /Nothing was signalled/);
    assert.equal(isProcessAlive(pid), true, 'the unrelated process was not signalled');
    assert.equal(readHostRecord(home.home), undefined, 'the stale record is gone');
  });

  it('starts a new host over the stale lock, and leaves the unrelated process alone', async () => {
    const pid = unrelatedProcess();
    fs.writeFileSync(
      path.join(home.home, HOST_LOCK_FILE),
      JSON.stringify({ host: os.hostname(), since: new Date().toISOString(), ...identityOfADeadHost(pid, home.home) }),
      { mode: 0o600 },
    );
    const started = await home.run(['emulator', 'start', '--json']);
    assert.equal(started.json.started, true);
    assert.notEqual(started.json.pid, pid);
    const lock = JSON.parse(fs.readFileSync(path.join(home.home, HOST_LOCK_FILE), 'utf8'));
    assert.equal(lock.pid, started.json.pid, 'the new host holds the lock');
    assert.equal(isProcessAlive(pid), true);

    // The real host is proven through its record and stops.
    const stop = await home.run(['emulator', 'stop', '--json']);
    assert.equal(stop.json.result, 'stopped');
    assert.equal(stop.json.pid, started.json.pid);
    assert.equal(isProcessAlive(started.json.pid), false);
  });

  it('refuses to signal a live pid that an old-format record (no identity) names and that does not answer', async () => {
    const pid = unrelatedProcess();
    fs.writeFileSync(
      path.join(home.home, HOST_INFO_FILE),
      JSON.stringify({
        pid,
        controlPort: CLOSED_PORT,
        token: 'b'.repeat(48),
        startTime: '',
        version: '0.1.0',
        devices: 4,
        home: home.home,
      }),
      { mode: 0o600 },
    );
    const stop = await home.run(['emulator', 'stop'], { expectFailure: true });
    assert.match(stop.stderr, new RegExp(`Not stopping pid ${pid}`));
    assert.match(stop.stderr, /kill/);
    assert.equal(isProcessAlive(pid), true);
    fs.rmSync(path.join(home.home, HOST_INFO_FILE));
    await endProcess(pid); // the home's cleanup checks that every pid a record named is gone
  });
});

describe('the host lock', () => {
  it('is not taken from a live holder whose identity matches', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-hostlock-'));
    const pid = unrelatedProcess();
    const file = path.join(dir, HOST_LOCK_FILE);
    const content = JSON.stringify({ host: os.hostname(), since: new Date().toISOString(), ...processIdentity(pid)! });
    fs.writeFileSync(file, content);
    assert.throws(
      () => acquireHostLock(dir),
      (e) => e instanceof HostAlreadyRunning && e.message.includes(`pid ${pid}`),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), content, 'the live holder keeps its lock');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('of an older version (a bare pid) is kept while that pid lives and taken once it is gone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-hostlock-'));
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    sleepers.push(child);
    const file = path.join(dir, HOST_LOCK_FILE);
    fs.writeFileSync(file, String(child.pid));
    assert.throws(() => acquireHostLock(dir), HostAlreadyRunning);
    child.kill('SIGKILL');
    return new Promise<void>((resolve) => child.once('exit', () => resolve())).then(() => {
      acquireHostLock(dir);
      assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});

describe('a workspace lock whose pid was reused', () => {
  // Short lock timeout: a lock wrongly taken for live would fail the command fast instead of after 20 s.
  const home = new AccelHome({ ACCEL_LOCK_TIMEOUT_MS: '1500' });
  after(() => home.cleanup());

  it('is taken over by the next writer', async () => {
    await home.run(['workspace', 'create', 'w', '--json']);
    const pid = unrelatedProcess();
    const lock = path.join(home.home, 'workspaces', 'w', '.lock');
    fs.writeFileSync(
      lock,
      JSON.stringify({
        host: os.hostname(),
        since: new Date().toISOString(),
        ...identityOfADeadHost(pid, home.home),
        cmdline: ['node', 'dist/cli.js', 'model', 'register'],
      }),
    );
    const registered = await home.run([
      'model',
      'register',
      mobilenetPath,
      '--name',
      'mobilenet',
      '--preset',
      'mobilenetv2',
      '--json',
      '--workspace',
      'w',
    ]);
    assert.equal(registered.json.id, 'mobilenet:1');
    assert.equal(fs.existsSync(lock), false, 'the stale lock was broken and the writer released its own');
    assert.equal(isProcessAlive(pid), true);
  });

  it('held by a live process with its real identity makes writers wait, then Busy', async () => {
    const pid = unrelatedProcess();
    const lock = path.join(home.home, '.lock'); // the home lock: `workspace use` takes it
    const content = JSON.stringify({ host: os.hostname(), since: new Date().toISOString(), ...processIdentity(pid)! });
    fs.writeFileSync(lock, content);
    const r = await home.run(['workspace', 'use', 'w'], { expectFailure: true });
    assert.match(r.stderr, new RegExp(`busy: process ${pid}`));
    assert.equal(fs.readFileSync(lock, 'utf8'), content);
    fs.rmSync(lock);
  });
});

describe('operation cancel with a runner pid that was reused', () => {
  const home = new AccelHome();
  after(() => home.cleanup());

  it("does not signal a process whose command line is not that operation's runner", async () => {
    await home.run(['workspace', 'create', 'w', '--json']);
    const pid = unrelatedProcess();
    const id = 'convert-reused-pid';
    // A detached conversion whose runner died; its pid now belongs to the `sleep`.
    const store = openStore(home.home);
    const opsDir = path.join(home.home, 'workspaces', 'w', 'operations');
    fs.mkdirSync(opsDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(
      path.join(opsDir, `${id}.request.json`),
      JSON.stringify({ modelId: 'm:1', inputTensor: 'x', outputTensors: ['y'], precision: 'fp32', detached: true }),
      { mode: 0o600 },
    );
    fs.writeFileSync(path.join(opsDir, `${id}.log`), '', { mode: 0o600 });
    await store.update('w', (s) => {
      s.operations.push({
        id,
        kind: 'convert',
        state: 'Running',
        target: 'm:1',
        createdTime: new Date().toISOString(),
        pid,
      });
    });
    await home.run(['operation', 'cancel', id, '--workspace', 'w']);
    assert.equal(isProcessAlive(pid), true, 'the unrelated process was not signalled');
  });
});
