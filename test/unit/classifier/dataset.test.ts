// The training folder: class folders become labels (sorted), every bad input is refused with a message that
// names the problem and the fix, unreadable files are skipped only when asked, the digest follows the content,
// and the hold-out split is class-balanced and the same for the same seed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { scanDataset, splitHoldout } from '../../../src/classifier/dataset';
import { isAccelError } from '../../../src/domain/errors';
import { syntheticJpeg } from '../../../src/emulator/runtime/preprocess';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-dataset-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const jpeg = syntheticJpeg(32, 24);
let n = 0;

/** A fresh folder with the given files (path → bytes; a path ending in / makes an empty folder). */
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = path.join(root, `d${n++}`);
  for (const [rel, bytes] of Object.entries(files)) {
    const p = path.join(dir, rel);
    if (rel.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, bytes);
    }
  }
  return dir;
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isAccelError(e, 'InvalidArgument'), String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

test('class folders become sorted labels; hidden files and folders are ignored; nested photos count', () => {
  const dir = folder({
    'dog/a.jpg': jpeg,
    'cat/b.jpg': jpeg,
    'cat/more/c.JPG': jpeg,
    'cat/.DS_Store': 'x',
    '.cache/x.jpg': jpeg,
    'README.txt': 'hi',
  });
  const d = scanDataset(dir);
  assert.deepEqual(d.classes, ['cat', 'dog']);
  assert.deepEqual(
    d.photos.map((p) => [path.relative(dir, p.file), p.classIndex]),
    [
      ['cat/b.jpg', 0],
      ['cat/more/c.JPG', 0],
      ['dog/a.jpg', 1],
    ],
  );
  assert.match(d.digest, /^[0-9a-f]{64}$/);
});

test("the digest changes with a photo's content and its class, not with the folder's location", () => {
  const a = scanDataset(folder({ 'cat/a.jpg': jpeg, 'dog/b.jpg': jpeg })).digest;
  assert.equal(scanDataset(folder({ 'cat/a.jpg': jpeg, 'dog/b.jpg': jpeg })).digest, a);
  assert.notEqual(scanDataset(folder({ 'cat/a.jpg': syntheticJpeg(33, 24), 'dog/b.jpg': jpeg })).digest, a);
  assert.notEqual(scanDataset(folder({ 'cat/b.jpg': jpeg, 'dog/a.jpg': jpeg })).digest, a);
});

test('fewer than two classes is refused', () => {
  refused(() => scanDataset(folder({ 'a.jpg': jpeg })), /holds no class folders; a classifier needs at least two/);
  refused(() => scanDataset(folder({ 'cat/a.jpg': jpeg })), /only one class folder \(cat\)/);
});

test('a missing folder or a file instead of a folder is refused', () => {
  refused(() => scanDataset(path.join(root, 'nope')), /does not exist/);
  const dir = folder({ 'x.jpg': jpeg });
  refused(() => scanDataset(path.join(dir, 'x.jpg')), /is not a folder/);
});

test('an empty class folder is refused', () => {
  refused(
    () => scanDataset(folder({ 'cat/a.jpg': jpeg, 'dog/': '' })),
    /The class folder dog\/ .* is empty\. Add photos of "dog"/,
  );
});

test('a class name that is not a legal label is refused', () => {
  refused(
    () => scanDataset(folder({ 'cat/a.jpg': jpeg, 'do\u0007g/a.jpg': jpeg })),
    /is not a legal label: it holds control characters/,
  );
  refused(
    () => scanDataset(folder({ 'cat/a.jpg': jpeg, ' dog/a.jpg': jpeg })),
    /" dog" is not a legal label: it starts or ends with white space/,
  );
  refused(() => scanDataset(folder({ 'cat/a.jpg': jpeg, [`${'d'.repeat(65)}/a.jpg`]: jpeg })), /1-64 characters/);
  refused(
    () => scanDataset(folder({ 'cat/a.jpg': jpeg, 'Cat/a.jpg': jpeg })),
    /"Cat" and "cat" differ only in letter case/,
  );
});

test('unreadable or non-image files are listed and refused, or skipped with skipUnreadable', () => {
  const files = {
    'cat/a.jpg': jpeg,
    'cat/notes.txt': 'x',
    'cat/fake.jpg': 'not a jpeg',
    'cat/empty.png': '',
    'dog/b.jpg': jpeg,
  };
  const dir = folder(files);
  refused(
    () => scanDataset(dir),
    /3 files in .* are not readable photos: cat\/empty\.png: empty \(0 bytes\); cat\/fake\.jpg: its content is not a JPEG, PNG, GIF, WebP or BMP image; cat\/notes\.txt: not an image file name \(\.txt.*--skip-unreadable/,
  );
  const d = scanDataset(dir, { skipUnreadable: true });
  assert.equal(d.photos.length, 2);
  assert.deepEqual(
    d.skipped.map((s) => path.basename(s.file)),
    ['empty.png', 'fake.jpg', 'notes.txt'],
  );
  refused(
    () => scanDataset(folder({ 'cat/fake.jpg': 'x', 'dog/b.jpg': jpeg }), { skipUnreadable: true }),
    /No readable photos in class folder cat\//,
  );
});

test('the hold-out is class-balanced, disjoint, seeded, and refuses classes too small to split', () => {
  const photos = [
    ...Array.from({ length: 10 }, () => ({ file: 'a', classIndex: 0 })),
    ...Array.from({ length: 5 }, () => ({ file: 'b', classIndex: 1 })),
  ];
  const s = splitHoldout(photos, ['a', 'b'], 0.2, 7);
  assert.deepEqual([s.holdout.filter((i) => i < 10).length, s.holdout.filter((i) => i >= 10).length], [2, 1]);
  assert.equal(new Set([...s.train, ...s.holdout]).size, 15);
  assert.deepEqual(splitHoldout(photos, ['a', 'b'], 0.2, 7), s);
  assert.notDeepEqual(splitHoldout(photos, ['a', 'b'], 0.2, 8).holdout, s.holdout);
  assert.deepEqual(splitHoldout(photos, ['a', 'b'], 0, 7).holdout, []);
  refused(
    () =>
      splitHoldout(
        [
          { file: 'a', classIndex: 0 },
          { file: 'b', classIndex: 1 },
          { file: 'c', classIndex: 1 },
        ],
        ['cat', 'dog'],
        0.2,
        1,
      ),
    /Too few photos for a hold-out share of 0\.2: cat \(1\)\. Each class needs at least one photo to train on and one to hold out/,
  );
});
