// Atomicity under crash: a child writes to the store in a loop and acknowledges each committed write; we
// SIGKILL it at random moments, hundreds of times. Afterwards the store loads, is valid, and holds every
// acknowledged write; locks left by killed writers are recovered.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { sha256File } from '../../../src/store/blobs';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';

const ITERATIONS = Number(process.env.ACCEL_CRASH_ITERATIONS ?? 200);
let writerJs: string;

/** Bundles the writer once, so each child starts in tens of milliseconds. */
async function bundleWriter(): Promise<string> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'accel-writer-')), 'writer.js');
  await build({
    entryPoints: [path.join(__dirname, 'fixtures', 'writer.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'warning',
  });
  // The bundle loads protos/ relative to its own folder.
  fs.cpSync(path.join(__dirname, '..', '..', '..', 'protos'), path.join(path.dirname(out), 'protos'), {
    recursive: true,
  });
  return out;
}

export interface WriterRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the writer; with `killAfterMs`, SIGKILLs it that long after it reports ready. */
export function runWriter(js: string, args: string[], killAfterMs?: number): Promise<WriterRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [js, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!armed && killAfterMs !== undefined && out.startsWith('ready\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // Only complete lines are acknowledgements.
      const lines = out
        .split('\n')
        .slice(0, -1)
        .filter((l) => l !== 'ready');
      resolve({ lines, code, signal, stderr });
    });
  });
}

describe('store under crash', () => {
  before(async () => {
    writerJs = await bundleWriter();
  });

  it(`keeps every acknowledged write across ${ITERATIONS} SIGKILLs at random moments`, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-crash-'));
    const store = openStore(home);
    await store.createWorkspace('w');
    const models = new Set<string>();
    const tags: { id: string; key: string; value: string }[] = [];
    let killedMidWrite = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      // A child needs ~100 ms for its first registration (loading protos, decoding the model), then writes every
      // few ms: kills land before, during and between writes.
      const run = await runWriter(writerJs, [home, 'crash', mobilenetPath], Math.random() * 150);
      assert.equal(run.signal, 'SIGKILL', `iteration ${i}: writer exited on its own (code ${run.code}): ${run.stderr}`);
      for (const line of run.lines) {
        const [kind, id, key, value] = line.split(' ');
        if (kind === 'model') models.add(id);
        else tags.push({ id, key, value });
      }
      // The store must load after every kill.
      const state = await store.read('w');
      if (fs.existsSync(path.join(home, 'workspaces', 'w', '.lock'))) killedMidWrite++;
      assert.ok(state.models.length >= models.size);
    }
    assert.ok(models.size > 0 && tags.length > 0, 'the writers acknowledged writes');
    const state = await store.read('w'); // parses and validates (ids, versions, uniqueness)
    const byId = new Map(state.models.map((m) => [m.id, m]));
    for (const id of models) assert.ok(byId.has(id), `acknowledged model ${id} is missing`);
    for (const t of tags)
      assert.equal(byId.get(t.id)?.tags[t.key], t.value, `acknowledged tag ${t.key} on ${t.id} is missing`);
    for (const name of ['m0', 'm1', 'm2']) {
      const versions = state.models.filter((m) => m.name === name).map((m) => m.version);
      assert.deepEqual(
        versions,
        versions.map((_, i) => i + 1),
        `${name} versions are 1..n without gaps or duplicates`,
      );
    }
    assert.equal(
      await sha256File(store.blobPath('w', 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f')),
      'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f',
    );
    // A lock left by a killed writer does not block the next writer.
    await store.update('w', (s) => {
      s.workspace.description = 'after the crashes';
    });
    console.log(
      `crash test: ${ITERATIONS} kills, ${models.size} models and ${tags.length} tag updates acknowledged, ${killedMidWrite} kills left a lock behind`,
    );
  });

  it('two processes registering at once both land, with distinct versions', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-concurrent-'));
    const store = openStore(home);
    await store.createWorkspace('w');
    const [a, b] = await Promise.all([
      runWriter(writerJs, [home, 'register', mobilenetPath, '15', 'shared']),
      runWriter(writerJs, [home, 'register', mobilenetPath, '15', 'shared']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const acked = [...a.lines, ...b.lines].map((l) => l.split(' ')[1]);
    assert.equal(acked.length, 30);
    assert.equal(new Set(acked).size, 30, 'every registration got its own version');
    const state = await store.read('w');
    assert.deepEqual(
      state.models.map((m) => m.version).sort((x, y) => x - y),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.deepEqual(new Set(state.models.map((m) => m.id)), new Set(acked));
  });
});
