// A model's label set may be its own class names (a trained classifier): registerModel checks them and keeps
// their order; labelsFor hands them out as they are.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { labelSetText, labelsFor } from '../../../src/catalog/labels';
import { isAccelError } from '../../../src/domain/errors';
import { registerModel } from '../../../src/core/models';
import { openStore } from '../../../src/store/fileStore';
import { mobilenetPath } from '../../support/paths';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-classnames-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));

test('class names are registered in order, and refused when empty, repeated or holding control characters', async () => {
  const store = openStore(home);
  await store.createWorkspace('w');
  const m = await registerModel(store, 'w', { path: mobilenetPath, name: 'pets', labels: ['dog', 'cat', 'bird'] });
  assert.deepEqual(m.labels, ['dog', 'cat', 'bird']);
  assert.deepEqual((await store.read('w')).models[0].labels, ['dog', 'cat', 'bird']);
  assert.deepEqual(labelsFor(m.labels), ['dog', 'cat', 'bird']);
  assert.equal(labelSetText(m.labels), '3 classes: dog, cat, bird');
  assert.equal(labelSetText('imagenet-1000'), 'imagenet-1000');
  for (const [labels, pattern] of [
    [[], /1 to 10000 names/],
    [['a', 'a'], /not distinct/],
    [['a', 'b\nc'], /"b\\nc" is not a valid class name/],
    [['a', ''], /"" is not a valid class name/],
  ] as const) {
    await assert.rejects(
      registerModel(store, 'w', { path: mobilenetPath, name: 'bad', labels: [...labels] }),
      (e: unknown) => isAccelError(e, 'InvalidArgument') && pattern.test(e.message),
    );
  }
  assert.equal((await store.read('w')).models.length, 1);
});
