// What a failed command's notification offers besides Show Log: Retry only when running the same command again
// can succeed (busy, unavailable, cut or cancelled work); a refusal that would fail the same way (bad input, not
// found, has dependents, already exists, damaged files) offers none, and a sign-in or workspace-trust refusal
// offers the action that clears it. Pure (no vscode), so unit tests check the table.
import { isAccelError, type ErrorCode } from '../../domain/errors';

const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['Busy', 'Unavailable', 'Cancelled']);
/** Node system errors of a network or a momentarily exhausted machine. */
const TRANSIENT_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EBUSY',
  'EAGAIN',
  'EMFILE',
  'ENFILE',
]);
/** gRPC status codes (numbers, as grpc-js ServiceError carries them): DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE. */
const TRANSIENT_GRPC = new Set([4, 8, 10, 14]);

export const RETRY = 'Retry';
export const MANAGE_TRUST = 'Manage Workspace Trust';
export const SIGN_IN = 'Sign in to Azure';

/** Marks the refusal of a command that needs a trusted folder (see CommandRunner). */
export interface TrustDetail {
  needsWorkspaceTrust: true;
}

export function isTransient(e: unknown): boolean {
  if (isAccelError(e)) return TRANSIENT_CODES.has(e.code);
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return TRANSIENT_ERRNO.has(code);
  // A grpc-js ServiceError: an Error with a numeric code and a metadata object.
  if (typeof code === 'number' && e instanceof Error && 'metadata' in e) return TRANSIENT_GRPC.has(code);
  return false;
}

/** The buttons of the error notification, in order; 'Show Log' is always added after them. */
export function errorActions(e: unknown): string[] {
  if (isAccelError(e, 'PermissionDenied') && (e.detail as Partial<TrustDetail> | undefined)?.needsWorkspaceTrust)
    return [MANAGE_TRUST];
  if (isAccelError(e, 'NotSignedIn')) return [SIGN_IN];
  return isTransient(e) ? [RETRY] : [];
}
