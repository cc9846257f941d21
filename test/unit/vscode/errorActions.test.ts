// Which buttons a failed command's notification offers: Retry only for transient failures, the action that clears
// a sign-in or workspace-trust refusal, and nothing for refusals that would fail the same way again.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccelError, type ErrorCode } from '../../../src/domain/errors';
import { errorActions, isTransient, MANAGE_TRUST, RETRY, SIGN_IN } from '../../../src/vscode/commands/errorActions';

describe('error notification actions', () => {
  it('offers Retry for busy, unavailable and cancelled work', () => {
    for (const code of ['Busy', 'Unavailable', 'Cancelled'] as ErrorCode[])
      assert.deepEqual(errorActions(new AccelError(code, 'x')), [RETRY], code);
  });

  it('offers no Retry for refusals that cannot succeed as they are', () => {
    for (const code of [
      'InvalidArgument',
      'NotFound',
      'HasDependents',
      'AlreadyExists',
      'InvalidModel',
      'SchemaTooNew',
      'QuotaExceeded',
      'Internal',
    ] as ErrorCode[]) {
      assert.deepEqual(errorActions(new AccelError(code, 'x')), [], code);
    }
    assert.deepEqual(errorActions(new AccelError('PermissionDenied', 'no role')), []);
    assert.deepEqual(errorActions(new TypeError('bug')), []);
    assert.deepEqual(errorActions('a string'), []);
  });

  it('offers the action that clears a sign-in or trust refusal', () => {
    assert.deepEqual(errorActions(new AccelError('NotSignedIn', 'sign in')), [SIGN_IN]);
    assert.deepEqual(errorActions(new AccelError('PermissionDenied', 'trust', { needsWorkspaceTrust: true })), [
      MANAGE_TRUST,
    ]);
  });

  it('treats network system errors and gRPC UNAVAILABLE / DEADLINE_EXCEEDED as transient, others not', () => {
    const sys = (code: string) => Object.assign(new Error(code), { code });
    const grpc = (code: number) => Object.assign(new Error(`grpc ${code}`), { code, metadata: {} });
    assert.equal(isTransient(sys('ECONNRESET')), true);
    assert.equal(isTransient(sys('ECONNREFUSED')), true);
    assert.equal(isTransient(sys('ENOENT')), false);
    assert.equal(isTransient(sys('EACCES')), false);
    assert.equal(isTransient(grpc(14)), true);
    assert.equal(isTransient(grpc(4)), true);
    assert.equal(isTransient(grpc(3)), false); // INVALID_ARGUMENT
    assert.equal(isTransient(grpc(16)), false); // UNAUTHENTICATED
    assert.equal(
      isTransient(Object.assign(new Error('n'), { code: 14 })),
      false,
      'a numeric code without gRPC metadata is not a gRPC status',
    );
  });
});
