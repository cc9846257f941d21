// Process identity (pid + /proc start time + command line) as locks use it, and the modes of what the store writes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { isAccelError } from '../../../src/domain/errors';
import { matchProcess, processIdentity, selfIdentity } from '../../../src/processAlive';
import { writeFileAtomic } from '../../../src/store/atomicFile';
import { putBlobIn } from '../../../src/store/blobs';
import { withLock } from '../../../src/store/lock';
import { ensurePrivateHome } from '../../../src/store/privateHome';
import { seal } from '../../../src/store/sealedSecrets';

const linux = process.platform === 'linux';
const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
after(() => sleeper.kill('SIGKILL'));

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'accel-ident-'));
}

describe('matchProcess', { skip: !linux && 'reads /proc' }, () => {
  it('proves a live process by its recorded identity', () => {
    assert.equal(matchProcess(selfIdentity()), 'same');
    assert.equal(matchProcess(processIdentity(sleeper.pid!)!), 'same');
  });

  it('tells a reused pid (another start time or command line) from the recorded process', () => {
    const live = processIdentity(sleeper.pid!)!;
    assert.equal(matchProcess({ ...live, started: `${live.started}0` }), 'other');
    assert.equal(matchProcess({ ...live, cmdline: ['node', 'dist/emulator.js'] }), 'other');
  });

  it('says gone for an exited pid, unproven for a live pid recorded without identity', () => {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    assert.equal(matchProcess({ pid: Number(r.stdout.toString()) }), 'gone');
    assert.equal(matchProcess({ pid: sleeper.pid! }), 'unproven');
    assert.equal(matchProcess({ pid: 0 }), 'gone', 'pid 0 is not a process (kill(0) would signal our group)');
  });
});

describe('withLock and a recorded identity', { skip: !linux && 'reads /proc' }, () => {
  it('breaks a lock whose pid now belongs to an unrelated live process', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.lock');
    const live = processIdentity(sleeper.pid!)!;
    fs.writeFileSync(
      file,
      JSON.stringify({ ...live, started: `${live.started}0`, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }),
    );
    assert.equal(await withLock(file, 'Test', () => 7, 200), 7);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('waits for a live holder whose identity matches, then Busy, and leaves its lock', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.lock');
    const content = JSON.stringify({
      ...processIdentity(sleeper.pid!)!,
      host: os.hostname(),
      since: '2026-01-01T00:00:00.000Z',
    });
    fs.writeFileSync(file, content);
    await assert.rejects(
      withLock(file, 'Test', () => 1, 150),
      (e) => isAccelError(e, 'Busy'),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), content);
  });

  it("records this process's start time and command line in its lock file", async () => {
    const dir = tempDir();
    const file = path.join(dir, '.lock');
    const seen = await withLock(file, 'Test', () => JSON.parse(fs.readFileSync(file, 'utf8')));
    assert.equal(seen.pid, process.pid);
    assert.equal(seen.started, selfIdentity().started);
    assert.deepEqual(seen.cmdline, selfIdentity().cmdline);
    assert.equal(fs.statSync(dir).mode & 0o077, 0);
  });
});

describe('modes of what the store writes', { skip: process.platform === 'win32' && 'POSIX modes' }, () => {
  const mode = (p: string) => fs.statSync(p).mode & 0o777;

  it('writeFileAtomic creates 0600 files through a unique temp file, not a fixed .tmp', () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.json');
    // A stale, world-readable fixed temp file must neither be reused nor lend its mode.
    fs.writeFileSync(`${file}.tmp`, 'old');
    fs.chmodSync(`${file}.tmp`, 0o666);
    writeFileAtomic(file, 'new');
    assert.equal(mode(file), 0o600);
    assert.equal(fs.readFileSync(`${file}.tmp`, 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['state.json', 'state.json.tmp'], 'no temp file is left');
  });

  it('blobs and their shard folders are private', async () => {
    const dir = tempDir();
    const { sha256 } = await putBlobIn(dir, { bytes: Buffer.from('blob') });
    const file = path.join(dir, 'sha256', sha256.slice(0, 2), sha256);
    assert.equal(mode(file), 0o600);
    assert.equal(mode(path.dirname(file)), 0o700);
  });

  it('secret.key is created 0600 in a 0700 home', () => {
    const home = path.join(tempDir(), 'home');
    seal(home, 'x');
    assert.equal(mode(home), 0o700);
    assert.equal(mode(path.join(home, 'secret.key')), 0o600);
  });
});

describe('ensurePrivateHome', { skip: typeof process.getuid !== 'function' && 'POSIX owners' }, () => {
  it('leaves a missing home missing, tightens an existing one once, and skips symbolic links', () => {
    const root = tempDir();
    const home = path.join(root, 'home');
    ensurePrivateHome(home);
    assert.equal(fs.existsSync(home), false);
    fs.mkdirSync(path.join(home, 'a', 'b'), { recursive: true, mode: 0o755 });
    fs.chmodSync(home, 0o755);
    fs.writeFileSync(path.join(home, 'a', 'f.json'), '{}', { mode: 0o644 });
    const outside = path.join(root, 'outside.txt');
    fs.writeFileSync(outside, 'x', { mode: 0o644 });
    fs.chmodSync(outside, 0o644);
    fs.symlinkSync(outside, path.join(home, 'link'));
    ensurePrivateHome(home);
    assert.equal(fs.statSync(home).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(home, 'a', 'b')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(home, 'a', 'f.json')).mode & 0o777, 0o600);
    assert.equal(fs.statSync(outside).mode & 0o777, 0o644, 'a link out of the home is not followed');
    // Once tightened, a later file is not walked again (the marker), but the home folder is always checked.
    fs.writeFileSync(path.join(home, 'later.txt'), '', { mode: 0o644 });
    fs.chmodSync(path.join(home, 'later.txt'), 0o644);
    fs.chmodSync(home, 0o755);
    ensurePrivateHome(home);
    assert.equal(fs.statSync(home).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(home, 'later.txt')).mode & 0o777, 0o644);
  });

  it('refuses a file where the home should be', () => {
    const file = path.join(tempDir(), 'home');
    fs.writeFileSync(file, '');
    assert.throws(
      () => ensurePrivateHome(file),
      (e) => isAccelError(e, 'InvalidArgument') && /is not a folder/.test(e.message),
    );
  });
});
