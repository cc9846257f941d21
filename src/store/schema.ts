// The on-disk format of a workspace: one JSON document (WorkspaceState) with a schema version. Reading checks
// the version first, so a store written by a newer release is refused instead of misread.
import { AccelError } from '../domain/errors';
import type { WorkspaceState } from '../domain/types';

export const SCHEMA_VERSION = 1;

function damaged(file: string, why: string): AccelError {
  return new AccelError(
    'Internal',
    `The workspace file ${file} is damaged (${why}). Restore it from a backup, or delete its workspace folder to start over.`,
    { file },
  );
}

export function schemaTooNew(file: string, found: number): AccelError {
  return new AccelError(
    'SchemaTooNew',
    `${file} was written with store schema version ${found}, but this version of Accelerated Models supports schema version ${SCHEMA_VERSION} only. Upgrade the extension/CLI to open it; nothing was changed.`,
    { file, found, supported: SCHEMA_VERSION },
  );
}

/** The problems that make a state invalid; empty when it is valid. */
export function stateProblems(state: WorkspaceState): string[] {
  const problems: string[] = [];
  if (state.schemaVersion !== SCHEMA_VERSION)
    problems.push(`schemaVersion is ${state.schemaVersion}, expected ${SCHEMA_VERSION}`);
  if (!state.workspace || typeof state.workspace.name !== 'string') problems.push('the workspace record is missing');
  for (const key of ['models', 'images', 'services', 'computes', 'operations'] as const) {
    if (!Array.isArray(state[key])) problems.push(`"${key}" is not a list`);
  }
  if (problems.length) return problems;
  const unique = (what: string, keys: string[]) => {
    const seen = new Set<string>();
    for (const k of keys) {
      if (seen.has(k)) problems.push(`${what} ${k} appears twice`);
      seen.add(k);
    }
  };
  for (const m of state.models) {
    if (m.id !== `${m.name}:${m.version}` || !Number.isInteger(m.version) || m.version < 1)
      problems.push(`model id ${m.id} does not match ${m.name}:${m.version}`);
    if (typeof m.blob !== 'string' || !/^[0-9a-f]{64}$/.test(m.blob))
      problems.push(`model ${m.id} has no valid blob hash`);
  }
  for (const i of state.images) {
    if (i.id !== `${i.name}:${i.version}` || !Number.isInteger(i.version) || i.version < 1)
      problems.push(`image id ${i.id} does not match ${i.name}:${i.version}`);
  }
  unique(
    'model',
    state.models.map((m) => m.id),
  );
  unique(
    'image',
    state.images.map((i) => i.id),
  );
  unique(
    'service',
    state.services.map((s) => s.name),
  );
  unique(
    'compute',
    state.computes.map((c) => c.name),
  );
  unique(
    'operation',
    state.operations.map((o) => o.id),
  );
  return problems;
}

export function parseState(text: string, file: string): WorkspaceState {
  let state: WorkspaceState;
  try {
    state = JSON.parse(text);
  } catch (e) {
    throw damaged(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw damaged(file, 'not a JSON object');
  if (typeof state.schemaVersion !== 'number' || !Number.isInteger(state.schemaVersion) || state.schemaVersion < 1) {
    throw damaged(file, 'it has no valid schemaVersion');
  }
  if (state.schemaVersion > SCHEMA_VERSION) throw schemaTooNew(file, state.schemaVersion);
  const problems = stateProblems(state);
  if (problems.length) throw damaged(file, problems.join('; '));
  return state;
}

/** Checks a state before it is written; a failing change is a bug in the caller, and nothing is written. */
export function assertValidState(state: WorkspaceState, file: string): void {
  const problems = stateProblems(state);
  if (problems.length) {
    throw new AccelError(
      'Internal',
      `Internal error: the change would make ${file} invalid (${problems.join('; ')}). Nothing was written; please report this.`,
    );
  }
}

export function serializeState(state: WorkspaceState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export function emptyState(name: string, createdTime: string, description?: string): WorkspaceState {
  return {
    schemaVersion: SCHEMA_VERSION,
    workspace: { name, backend: 'local', createdTime, ...(description ? { description } : {}) },
    models: [],
    images: [],
    services: [],
    computes: [],
    operations: [],
  };
}
