// Which buttons a failed command's notification offers: Retry only for transient failures, the action that clears
// a sign-in or workspace-trust refusal, and nothing for refusals that would fail the same way again.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccelError, type ErrorCode } from '../../../src/domain/errors';
import { assertCanDelete, assertCanDeleteWorkspace } from '../../../src/core/dependencies';
import type { Image, Model, Service } from '../../../src/domain/types';
import { emptyState } from '../../../src/store/schema';
import {
  actionCommand,
  DELETE_WITH_DEPENDENTS,
  errorActions,
  errorText,
  isTransient,
  MANAGE_TRUST,
  RETRY,
  REVEAL_DEPENDENTS,
  SIGN_IN,
} from '../../../src/vscode/commands/errorActions';

function refusal(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a refusal');
}

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

  it('a refused entity delete offers Delete with Dependents… and Reveal Dependents, worded without CLI commands', () => {
    const s = emptyState('ws', 't');
    s.models.push({ id: 'm:1', name: 'm', version: 1 } as Model);
    s.images.push({ id: 'img:1', modelId: 'm:1' } as Image);
    s.services.push({ name: 'svc', imageId: 'img:1' } as Service);
    const e = refusal(() => assertCanDelete(s, { kind: 'model', id: 'm:1' }));
    assert.deepEqual(errorActions(e), [DELETE_WITH_DEPENDENTS, REVEAL_DEPENDENTS]);
    assert.match((e as Error).message, /accel image delete img:1/, 'the CLI keeps its commands');
    assert.equal(
      errorText(e),
      'Model m:1 is used by image img:1. Delete in this order: service svc, image img:1, then model m:1; ' +
        'or choose Delete with Dependents to delete them together, or Reveal Dependents to find them.',
    );
    const target = { workspace: 'ws', kind: 'model', id: 'm:1' };
    assert.deepEqual(actionCommand(DELETE_WITH_DEPENDENTS, e), ['accel.deleteWithDependents', target]);
    assert.deepEqual(actionCommand(REVEAL_DEPENDENTS, e), ['accel.revealDependents', target]);
    assert.equal(actionCommand('Show Log', e), undefined);
    // A workspace's refusal names services to delete first, but offers no cascade (nor a HasDependents without detail).
    const w = refusal(() => assertCanDeleteWorkspace(s, true));
    assert.deepEqual(errorActions(w), []);
    assert.equal(errorText(w), (w as Error).message);
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
