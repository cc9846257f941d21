// The Batch Scores panel's sorts (pure; the DOM part runs in the webview) and the openResult message's validation.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebviewMessage, type BatchTile } from '../../../src/panels/protocol';
import { SORTS, sortRows } from '../../../webview/batchView';

const row = (file: string, label?: string, score?: number, latencyMs?: number, error?: string): BatchTile => ({
  file,
  imageUri: `https://file+.vscode-resource.vscode-cdn.net/photos/${file}`,
  ...(label !== undefined && score !== undefined ? { top1: { index: 0, label, score } } : {}),
  ...(latencyMs !== undefined ? { latencyMs } : {}),
  ...(error ? { error } : {}),
});

// Arrival order (as the host pushes rows): index 0..4.
const rows: BatchTile[] = [
  row('parrot.jpg', 'macaw', 0.97, 12),
  row('img10.png', 'espresso', 0.31, 8),
  row('broken.jpg', undefined, undefined, undefined, 'not an image'),
  row('img9.png', 'hot dog', 0.62, 30),
  row('bird.bmp', 'goldfinch', 0.31, 5),
];
const files = (order: number[]) => order.map((i) => rows[i].file);

describe('batch view sorting', () => {
  it('arrival order is the host order (reversible)', () => {
    assert.deepEqual(sortRows(rows, 'arrival'), [0, 1, 2, 3, 4]);
    assert.deepEqual(sortRows(rows, 'arrival', true), [4, 3, 2, 1, 0]);
  });

  it('low confidence first: failed photos, then ascending score, ties by file name', () => {
    assert.deepEqual(files(sortRows(rows, 'confidence')), [
      'broken.jpg',
      'bird.bmp',
      'img10.png',
      'img9.png',
      'parrot.jpg',
    ]);
  });

  it('score sorts high first, reversed low first; rows without a score go last either way', () => {
    assert.deepEqual(files(sortRows(rows, 'score')), ['parrot.jpg', 'img9.png', 'bird.bmp', 'img10.png', 'broken.jpg']);
    assert.deepEqual(files(sortRows(rows, 'score', true)), [
      'bird.bmp',
      'img10.png',
      'img9.png',
      'parrot.jpg',
      'broken.jpg',
    ]);
  });

  it('file names sort naturally (img9 before img10); label and latency ascending, missing values last', () => {
    assert.deepEqual(files(sortRows(rows, 'file')), ['bird.bmp', 'broken.jpg', 'img9.png', 'img10.png', 'parrot.jpg']);
    assert.deepEqual(files(sortRows(rows, 'file', true)), [
      'parrot.jpg',
      'img10.png',
      'img9.png',
      'broken.jpg',
      'bird.bmp',
    ]);
    assert.deepEqual(files(sortRows(rows, 'label')), ['img10.png', 'bird.bmp', 'img9.png', 'parrot.jpg', 'broken.jpg']);
    assert.deepEqual(files(sortRows(rows, 'latency')), [
      'bird.bmp',
      'img10.png',
      'parrot.jpg',
      'img9.png',
      'broken.jpg',
    ]);
  });

  it('returns indices into the rows (what a tile click sends), a permutation for every sort offered', () => {
    for (const { key } of SORTS) {
      const order = sortRows(rows, key);
      assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4], key);
    }
    assert.deepEqual(sortRows([], 'confidence'), []);
  });
});

describe('openResult message', () => {
  it('accepts a row index only', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'openResult', row: 3 }), { type: 'openResult', row: 3 });
    for (const row of [-1, 1.5, '3', null, Number.NaN, Number.MAX_VALUE, undefined])
      assert.equal(parseWebviewMessage({ type: 'openResult', row }), undefined, String(row));
    assert.equal(parseWebviewMessage({ type: 'openResult', file: '/etc/passwd' }), undefined);
  });
});
