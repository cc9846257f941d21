// What a failed command's notification offers besides Show Log: Retry only when running the same command again
// can succeed (busy, unavailable, cut or cancelled work); a refusal that would fail the same way (bad input, not
// found, has dependents, already exists, damaged files) offers none, and a sign-in or workspace-trust refusal
// offers the action that clears it. A delete refused because of dependents offers Delete with Dependents… and
// Reveal Dependents, worded for VS Code (the core message names CLI commands). Pure (no vscode), so unit tests
// check the table.
import type { DependentsDetail } from '../../core/dependencies';
import { isAccelError, type ErrorCode } from '../../domain/errors';
import { vscodeWording } from './vscodeWording';

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
export const DELETE_WITH_DEPENDENTS = 'Delete with Dependents…';
export const REVEAL_DEPENDENTS = 'Reveal Dependents';

/** What the cascade commands take: the workspace and the entity whose delete was refused. */
export interface DependentsTarget {
  workspace: string;
  kind: 'model' | 'image' | 'service';
  id: string;
}

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
  if (dependentsTarget(e)) return [DELETE_WITH_DEPENDENTS, REVEAL_DEPENDENTS];
  return isTransient(e) ? [RETRY] : [];
}

/** The refused entity of an entity delete's HasDependents refusal (not a workspace's). */
export function dependentsTarget(e: unknown): DependentsTarget | undefined {
  if (!isAccelError(e, 'HasDependents')) return undefined;
  const d = e.detail as Partial<DependentsDetail> | undefined;
  const kind = d?.target?.kind;
  if (typeof d?.workspace !== 'string' || (kind !== 'model' && kind !== 'image' && kind !== 'service'))
    return undefined;
  return { workspace: d.workspace, kind, id: d.target!.id };
}

/** The command an action button runs, with its arguments (undefined: the runner handles the action itself). */
export function actionCommand(action: string, e: unknown): [string, ...unknown[]] | undefined {
  const target = dependentsTarget(e);
  if (target && action === DELETE_WITH_DEPENDENTS) return ['accel.deleteWithDependents', target];
  if (target && action === REVEAL_DEPENDENTS) return ['accel.revealDependents', target];
  return undefined;
}

/**
 * The notification text: the error's message with the CLI commands it names worded as VS Code commands and views
 * (vscodeWording.ts); a dependents refusal is reworded whole.
 */
export function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (!dependentsTarget(e)) return vscodeWording(message);
  const d = (e as { detail: DependentsDetail }).detail;
  const names = (items: Array<{ label: string }>) => items.map((i) => i.label).join(', ');
  const self = d.target.label.charAt(0).toUpperCase() + d.target.label.slice(1);
  return (
    `${self} is used by ${names(d.blockers)}. Delete in this order: ${names(d.dependents)}, then ${d.target.label}; ` +
    `or choose ${DELETE_WITH_DEPENDENTS.replace('…', '')} to delete them together, or ${REVEAL_DEPENDENTS} to find them.`
  );
}
