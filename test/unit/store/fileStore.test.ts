import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AccelError, isAccelError } from '../../../src/domain/errors';
import { openStore, resolveHome } from '../../../src/store/fileStore';
import { SCHEMA_VERSION } from '../../../src/store/schema';
import { mobilenetPath } from '../../support/paths';

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'accel-store-'));
}

describe('FileStore', () => {
  it('resolves the home from the argument, then ACCEL_HOME, then ~/.accel', () => {
    const saved = process.env.ACCEL_HOME;
    try {
      process.env.ACCEL_HOME = '/tmp/from-env';
      assert.equal(resolveHome('/tmp/given'), '/tmp/given');
      assert.equal(resolveHome(), '/tmp/from-env');
      delete process.env.ACCEL_HOME;
      assert.equal(resolveHome(), path.join(os.homedir(), '.accel'));
    } finally {
      if (saved === undefined) delete process.env.ACCEL_HOME;
      else process.env.ACCEL_HOME = saved;
    }
  });

  it('creates, lists, activates and deletes workspaces', async () => {
    const store = openStore(tempHome());
    assert.deepEqual(await store.listWorkspaces(), []);
    assert.equal(await store.getActiveWorkspace(), undefined);
    await store.createWorkspace('alpha', 'first');
    await store.createWorkspace('beta');
    assert.deepEqual(
      (await store.listWorkspaces()).map((w) => w.name),
      ['alpha', 'beta'],
    );
    assert.equal(await store.getActiveWorkspace(), 'alpha', 'the first workspace becomes active');
    await store.setActiveWorkspace('beta');
    assert.equal(await store.getActiveWorkspace(), 'beta');
    const state = await store.read('alpha');
    assert.equal(state.schemaVersion, SCHEMA_VERSION);
    assert.equal(state.workspace.description, 'first');
    await assert.rejects(
      store.createWorkspace('alpha'),
      (e) => isAccelError(e, 'AlreadyExists') && /already exists/.test(e.message),
    );
    await store.deleteWorkspace('beta');
    assert.equal(await store.getActiveWorkspace(), undefined);
    assert.deepEqual(
      (await store.listWorkspaces()).map((w) => w.name),
      ['alpha'],
    );
    assert.deepEqual(fs.readdirSync(path.join(store.home, 'workspaces')), ['alpha'], 'no leftovers');
    await assert.rejects(
      store.read('beta'),
      (e) => isAccelError(e, 'NotFound') && /accel workspace create beta/.test(e.message),
    );
  });

  it('update commits the mutation and returns its result; a throwing mutation writes nothing', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('w');
    const file = store.stateFile('w');
    const n = await store.update('w', (s) => {
      s.computes.push({ name: 'local', kind: 'local-emulator', createdTime: 'now', properties: {} });
      return s.computes.length;
    });
    assert.equal(n, 1);
    const before = fs.readFileSync(file, 'utf8');
    await assert.rejects(
      store.update('w', (s) => {
        s.computes.length = 0;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    // An invalid result (duplicate compute) is refused and nothing is written.
    await assert.rejects(
      store.update('w', (s) => {
        s.computes.push({ ...s.computes[0] });
      }),
      (e) => isAccelError(e, 'Internal') && /appears twice/.test(e.message),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['blobs', 'state.json']);
  });

  it('serializes concurrent updates in one process', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('w');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update('w', async (s) => {
          await new Promise((r) => setTimeout(r, 1));
          s.computes.push({ name: `c${i}x`, kind: 'local-emulator', createdTime: 'now', properties: {} });
        }),
      ),
    );
    assert.equal((await store.read('w')).computes.length, 20);
  });

  it('refuses a nested update of the same workspace instead of deadlocking', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('w');
    await assert.rejects(
      store.update('w', () => store.update('w', () => 1)),
      (e) => isAccelError(e, 'Internal') && /locked twice/.test(e.message),
    );
  });

  it('stores blobs content-addressed and deduplicated', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('w');
    const a = await store.putBlob('w', { path: mobilenetPath });
    assert.equal(a.sha256, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f');
    assert.equal(a.size, fs.statSync(mobilenetPath).size);
    const b = await store.putBlob('w', { bytes: fs.readFileSync(mobilenetPath) });
    assert.deepEqual(b, a);
    const p = store.blobPath('w', a.sha256);
    assert.ok(p.endsWith(path.join('blobs', 'sha256', 'cc', a.sha256)));
    assert.ok(fs.readFileSync(p).equals(fs.readFileSync(mobilenetPath)));
    const shard = fs.readdirSync(path.dirname(p));
    assert.deepEqual(shard, [a.sha256], 'no temp files left');
    assert.deepEqual(fs.readdirSync(path.join(store.home, 'workspaces', 'w', 'blobs')), ['sha256']);
    // releaseBlobs removes only what the state no longer mentions.
    assert.deepEqual(await store.releaseBlobs('w', [a.sha256]), [a.sha256]);
    assert.equal(fs.existsSync(p), false);
  });

  it('refuses a state written by a newer schema, naming both versions', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('w');
    const file = store.stateFile('w');
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...state, schemaVersion: 7 }));
    const check = (e: unknown) =>
      isAccelError(e, 'SchemaTooNew') &&
      /version 7/.test(e.message) &&
      /supports schema version 1/.test(e.message) &&
      /Upgrade the extension\/CLI/.test(e.message);
    await assert.rejects(store.read('w'), check);
    await assert.rejects(
      store.update('w', () => {}),
      check,
    );
    // Listing is not refused: the workspace is reported as damaged and the others stay listed.
    await store.createWorkspace('ok');
    assert.deepEqual(
      (await store.listWorkspaces()).map((w) => w.name),
      ['ok'],
    );
    const damaged = await store.listDamagedWorkspaces();
    assert.deepEqual(
      damaged.map((d) => [d.name, d.code, d.file]),
      [['w', 'SchemaTooNew', file]],
    );
    assert.ok(check(new AccelError('SchemaTooNew', damaged[0].message)));
  });

  it('lists a damaged workspace apart, never rewrites it, and keeps its blobs from garbage collection', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('bad');
    await store.createWorkspace('good');
    const blob = await store.putBlob('bad', { bytes: Buffer.from('kept') });
    const file = store.stateFile('bad');
    const damagedText = '{"schemaVersion": 1, "workspace": ';
    fs.writeFileSync(file, damagedText);
    assert.deepEqual(
      (await store.listWorkspaces()).map((w) => w.name),
      ['good'],
    );
    const [damaged] = await store.listDamagedWorkspaces();
    assert.equal(damaged.name, 'bad');
    assert.equal(damaged.code, 'Internal');
    assert.match(damaged.message, /damaged/);
    assert.match(damaged.message, /Restore it from a backup/);
    await assert.rejects(
      store.update('bad', () => {}),
      (e) => isAccelError(e) && /damaged/.test(e.message),
    );
    await assert.rejects(store.releaseBlobs('bad', [blob.sha256]), (e) => isAccelError(e) && /damaged/.test(e.message));
    assert.ok(fs.existsSync(store.blobPath('bad', blob.sha256)));
    await store.update('good', (s) => void (s.workspace.description = 'still works'));
    assert.equal(fs.readFileSync(file, 'utf8'), damagedText);
  });

  it('names a damaged state file', async () => {
    const store = openStore(tempHome());
    await store.createWorkspace('w');
    const file = store.stateFile('w');
    fs.writeFileSync(file, '{"schemaVersion": 1, "workspace": ');
    await assert.rejects(
      store.read('w'),
      (e) => isAccelError(e) && e.message.includes(file) && /damaged/.test(e.message),
    );
  });

  it('explains a home that cannot be written', async () => {
    const file = path.join(tempHome(), 'a-file');
    fs.writeFileSync(file, '');
    const store = openStore(path.join(file, 'home'));
    await assert.rejects(
      store.createWorkspace('w'),
      (e) =>
        isAccelError(e, 'InvalidArgument') &&
        /Cannot write the accel home/.test(e.message) &&
        /ACCEL_HOME/.test(e.message),
    );
  });

  it('validates workspace names', async () => {
    const store = openStore(tempHome());
    await assert.rejects(
      store.createWorkspace('Bad Name!'),
      (e) => isAccelError(e, 'InvalidArgument') && /lowercase letters/.test(e.message),
    );
    await assert.rejects(store.createWorkspace('../escape'), (e) => isAccelError(e, 'InvalidArgument'));
    assert.equal(fs.existsSync(path.join(store.home, 'workspaces', 'Bad Name!')), false);
  });
});
