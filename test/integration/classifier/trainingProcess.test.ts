// The extension's way of training (src/vscode/commands/classifierRun.ts, no VS Code needed): `accel classifier
// train --json` in a child process with ACCEL_PROGRESS=json, per-photo progress forwarded, the --json result parsed
// into the Training Result view; cancelling sends SIGINT and the CLI leaves the workspace as it was.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { runTraining, trainArgs, trainingView } from '../../../src/vscode/commands/classifierRun';
import type { CancellationSignal } from '../../../src/domain/ports';
import { AccelHome, cliPath } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';
import { buildPhotoFolders } from './photoFolders';

const home = new AccelHome({ ACCEL_MIRROR: path.dirname(mobilenetPath), ACCEL_DEVICES: '2' });
const dataDir = path.join(home.home, 'photos');
const stateFile = () => path.join(home.home, 'workspaces', 'vt', 'state.json');

/** A cancellation signal the test fires itself. */
function manualCancel(): CancellationSignal & { fire(): void } {
  const listeners = new Set<() => void>();
  let fired = false;
  return {
    get isCancellationRequested() {
      return fired;
    },
    onCancellationRequested(l) {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
    fire() {
      fired = true;
      for (const l of listeners) l();
    },
  };
}

before(async () => {
  await home.run(['workspace', 'create', 'vt', '--json']);
  await home.run(['model', 'register', '--sample', '--json', '--workspace', 'vt']);
  await buildPhotoFolders(dataDir, 5, 3);
});

after(async () => {
  await home.cleanup();
});

test(
  'trains in a child process with per-photo progress; the result becomes the Training Result view',
  { timeout: 300_000 },
  async () => {
    const reports: Array<{ message?: string; fraction?: number }> = [];
    const result = await runTraining({
      cli: cliPath,
      home: home.home,
      args: trainArgs({ dataDir, featurizer: 'mobilenet', name: 'pets', holdout: 0.2, workspace: 'vt' }),
      progress: { report: (r) => reports.push(r) },
      cancel: manualCancel(),
    });
    assert.equal(result.model.id, 'pets:1');
    assert.deepEqual(result.labels, ['bird', 'cat', 'food']);
    const counts = reports.map((r) => /^Featurizing photos (\d+)\/(\d+)$/.exec(r.message ?? '')).filter(Boolean);
    assert.ok(counts.length >= 2, `per-photo counts reported: ${JSON.stringify(reports)}`);
    assert.equal(counts[counts.length - 1]![1], counts[counts.length - 1]![2], 'the last count is every photo');
    assert.equal(Number(counts[0]![2]), 30);
    const view = trainingView(result, 'vt', (f) => `uri:${f}`);
    assert.equal(view.kind, 'training');
    assert.deepEqual(view.labels, ['bird', 'cat', 'food']);
    assert.equal(typeof view.accuracy.holdout, 'number');
    assert.equal(view.confusion.length, 3);
    assert.equal(view.photos.holdout + view.photos.train, 30);
    assert.ok(view.lossCurve.length > 1 && view.lossCurve[0] > view.lossCurve[view.lossCurve.length - 1]);
    for (const m of view.misclassified) assert.equal(m.imageUri, `uri:${m.file}`);
  },
);

test(
  'cancelling at the first per-photo count stops the child (SIGINT): nothing registered, no transient model left',
  { timeout: 300_000 },
  async () => {
    const before = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    const cancel = manualCancel();
    const reports: string[] = [];
    await assert.rejects(
      runTraining({
        cli: cliPath,
        home: home.home,
        args: trainArgs({ dataDir, featurizer: 'mobilenet', name: 'never', holdout: 0.2, workspace: 'vt' }),
        progress: {
          report: (r) => {
            reports.push(r.message ?? '');
            if (/^Featurizing photos \d+\//.test(r.message ?? '')) cancel.fire();
          },
        },
        cancel,
      }),
      (e: Error & { code?: string }) => e.code === 'Cancelled',
    );
    assert.ok(cancel.isCancellationRequested, `cancelled while featurizing: ${JSON.stringify(reports)}`);
    const after = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    assert.deepEqual(
      after.models.map((m: { id: string }) => m.id),
      before.models.map((m: { id: string }) => m.id),
    );
    assert.deepEqual(after.images, before.images);
    assert.deepEqual(after.services, before.services);
  },
);

test('a refused training reports the CLI error with its code, not progress noise', { timeout: 60_000 }, async () => {
  await assert.rejects(
    runTraining({
      cli: cliPath,
      home: home.home,
      args: trainArgs({
        dataDir: path.join(dataDir, 'cat'),
        featurizer: 'mobilenet',
        name: 'x',
        holdout: 0.2,
        workspace: 'vt',
      }),
      progress: { report: () => {} },
      cancel: manualCancel(),
    }),
    (e: Error & { code?: string }) => e.code === 'InvalidArgument' && !e.message.includes('{'),
  );
});
