// Typed errors. Every error a user can meet carries a message that says what went wrong and what to do.
// `code` is stable (tests, the CLI's exit codes and gRPC status mapping key on it).

export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'InvalidModel'
  | 'HasDependents'
  | 'SchemaTooNew'
  | 'Busy'
  | 'Unavailable'
  | 'Cancelled'
  | 'NotSignedIn'
  | 'PermissionDenied'
  | 'QuotaExceeded'
  | 'Internal';

export class AccelError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Optional structured detail (e.g. the dependents that block a delete). */
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'AccelError';
  }

  // The Azure code ships as a separate bundle with its own copy of this class (see scripts/build.mjs), so
  // `instanceof` recognises an AccelError by its shape rather than by class identity.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      value instanceof Error && value.name === 'AccelError' && typeof (value as { code?: unknown }).code === 'string'
    );
  }
}

export function isAccelError(e: unknown, code?: ErrorCode): e is AccelError {
  return e instanceof AccelError && (code === undefined || e.code === code);
}
