import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodeFor, formatError, formatTable } from '../../../src/cli/output';
import { AccelError } from '../../../src/domain/errors';

describe('cli output', () => {
  it('formats padded tables', () => {
    const text = formatTable(
      [
        { a: 'x', b: 1 },
        { a: 'longer', b: 22 },
      ],
      [
        { header: 'NAME', value: (r) => r.a },
        { header: 'N', value: (r) => r.b },
      ],
    );
    assert.equal(text, 'NAME    N\nx       1\nlonger  22');
  });

  it('maps error codes to exit codes', () => {
    assert.equal(exitCodeFor(new AccelError('InvalidArgument', 'x')), 2);
    assert.equal(exitCodeFor(new AccelError('InvalidModel', 'x')), 2);
    assert.equal(exitCodeFor(new AccelError('NotFound', 'x')), 3);
    assert.equal(exitCodeFor(new AccelError('HasDependents', 'x')), 4);
    assert.equal(exitCodeFor(new AccelError('AlreadyExists', 'x')), 4);
    assert.equal(exitCodeFor(new AccelError('Busy', 'x')), 5);
    assert.equal(exitCodeFor(new AccelError('SchemaTooNew', 'x')), 1);
    assert.equal(exitCodeFor(new Error('x')), 1);
  });

  it('prints errors as a sentence, or as one JSON object with --json', () => {
    const e = new AccelError('HasDependents', 'Model m:1 is used by image i:1.', { order: ['a'] });
    assert.equal(formatError(e, false), 'accel: Model m:1 is used by image i:1.\n');
    assert.deepEqual(JSON.parse(formatError(e, true)), {
      error: { code: 'HasDependents', message: 'Model m:1 is used by image i:1.', detail: { order: ['a'] } },
    });
    assert.match(formatError(new Error('boom'), false), /^accel: unexpected error: boom/);
  });
});
