// Finding 9 of issue 10: the home is private to its owner. After a whole flow through the real CLI and emulator
// host (catalog download, register, image, TLS deploy, score, logs) every folder of the home is 0700 and every file
// 0600, whatever was left before (a stale 0644 `emulator.json.tmp`); a home an older version left readable is
// tightened on first use; another user's home is refused; exported build contexts stay ordinary user files.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HOST_INFO_FILE } from '../../../src/emulator/host/hostControl';
import { PRIVATE_MARKER } from '../../../src/store/privateHome';
import { AccelHome, PHOTOS } from '../../support/accelCli';

/** Every entry under `dir` with its permission bits (symbolic links are not followed). */
function modesUnder(dir: string): { path: string; dir: boolean; mode: number }[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    const st = fs.lstatSync(p);
    const entry = { path: p, dir: st.isDirectory(), mode: st.mode & 0o777 };
    return st.isDirectory() ? [entry, ...modesUnder(p)] : [entry];
  });
}

function assertPrivate(home: string): number {
  assert.equal(fs.statSync(home).mode & 0o777, 0o700, `${home} itself`);
  const entries = modesUnder(home);
  const loose = entries
    .filter((e) => e.mode !== (e.dir ? 0o700 : 0o600))
    .map((e) => `${e.mode.toString(8)} ${path.relative(home, e.path)}`);
  assert.deepEqual(loose, [], 'every folder 0700 and every file 0600');
  return entries.length;
}

describe('a home after the whole flow', () => {
  // The home folder exists before the first command, as a user (or an older version) might have made it.
  const home = new AccelHome({ ACCEL_DEVICES: '2' });
  const W = ['--workspace', 'perm'];
  const exported = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-export-'));
  after(async () => {
    await home.cleanup();
    fs.rmSync(exported, { recursive: true, force: true });
  });

  it('holds only 0700 folders and 0600 files, the control token included', async () => {
    fs.chmodSync(home.home, 0o755);
    await home.run(['workspace', 'create', 'perm', '--json']);
    // A stale temp file of an older host (after the home was first tightened): the old host wrote emulator.json
    // through this fixed name, so the token kept its 0644 mode.
    fs.writeFileSync(path.join(home.home, `${HOST_INFO_FILE}.tmp`), '{}');
    fs.chmodSync(path.join(home.home, `${HOST_INFO_FILE}.tmp`), 0o644);
    await home.run(['model', 'add', 'mobilenetv2', '--name', 'mobilenet', '--json', ...W]);
    await home.run(['image', 'create', 'mobilenet-image', '--model', 'mobilenet:1', '--json', ...W]);
    const deployed = (
      await home.run([
        'service',
        'deploy',
        'classifier',
        '--image',
        'mobilenet-image:1',
        '--self-signed',
        '--json',
        ...W,
      ])
    ).json;
    assert.equal(deployed.state, 'Running');
    const scored = (await home.run(['score', 'classifier', PHOTOS[1].file, '--json', ...W])).json;
    assert.equal(scored.results[0].top[0].index, 88);
    await home.run(['service', 'logs', 'classifier', ...W]);

    assert.ok(fs.existsSync(path.join(home.home, HOST_INFO_FILE)), 'the host runs and has its record');
    assert.ok(fs.existsSync(path.join(home.home, 'cache')), 'the download cache is in the home');
    assert.ok(fs.existsSync(path.join(home.home, 'logs', 'services', 'classifier.log')));
    const count = assertPrivate(home.home);
    assert.ok(count > 15, `walked ${count} entries`);
  });

  it('exports a build context of ordinary, readable files', async () => {
    const dir = path.join(exported, 'ctx');
    await home.run(['image', 'export', 'mobilenet-image:1', dir, ...W]);
    const files = modesUnder(dir).filter((e) => !e.dir);
    assert.ok(files.length > 3);
    const unreadable = files
      .filter((e) => (e.mode & 0o044) !== 0o044)
      .map((e) => `${e.mode.toString(8)} ${path.relative(dir, e.path)}`);
    assert.deepEqual(unreadable, [], 'a container build (and its non-root user) can read every exported file');
  });
});

describe('an existing home', () => {
  it('left readable by an older version is tightened once, on first use', async () => {
    const home = new AccelHome();
    try {
      await home.run(['workspace', 'create', 'old', '--json']);
      // What an older version left: 0755 folders, 0644 files, no marker.
      fs.rmSync(path.join(home.home, PRIVATE_MARKER));
      fs.writeFileSync(path.join(home.home, 'workspaces', 'old', 'notes.txt'), 'x');
      for (const e of [{ path: home.home, dir: true, mode: 0 }, ...modesUnder(home.home)])
        fs.chmodSync(e.path, e.dir ? 0o755 : 0o644);

      await home.run(['workspace', 'list', '--json']);
      assertPrivate(home.home);
      assert.ok(fs.existsSync(path.join(home.home, PRIVATE_MARKER)));
    } finally {
      await home.cleanup();
    }
  });

  it(
    'owned by another user is refused with a clear error, and nothing is written',
    { skip: process.getuid?.() !== 0 && 'needs root to give a folder to another user' },
    async () => {
      const home = new AccelHome();
      try {
        const nobody = 65534;
        fs.chownSync(home.home, nobody, nobody);
        const r = await home.run(['workspace', 'create', 'mine'], { expectFailure: true });
        assert.match(r.stderr, new RegExp(`belongs to another user \\(uid ${nobody}; you are uid 0\\)`));
        assert.match(r.stderr, /set ACCEL_HOME/);
        assert.deepEqual(fs.readdirSync(home.home), []);
        const list = await home.run(['workspace', 'list'], { expectFailure: true });
        assert.match(list.stderr, /belongs to another user/);
      } finally {
        fs.chownSync(home.home, 0, 0);
        await home.cleanup();
      }
    },
  );
});
