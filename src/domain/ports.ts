// Small interfaces the use cases take, so the CLI, the tests and src/vscode/ can each adapt their own.

export interface ProgressReporter {
  report(update: { message?: string; fraction?: number }): void;
}

export interface CancellationSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  store(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentProgress: ProgressReporter = { report: () => {} };

export const neverCancelled: CancellationSignal = {
  isCancellationRequested: false,
  onCancellationRequested: () => ({ dispose: () => {} }),
};

export function signalFromAbort(signal: AbortSignal): CancellationSignal {
  return {
    get isCancellationRequested() {
      return signal.aborted;
    },
    onCancellationRequested(listener) {
      signal.addEventListener('abort', listener, { once: true });
      return { dispose: () => signal.removeEventListener('abort', listener) };
    },
  };
}

import type { Workspace, WorkspaceState } from './types';

/**
 * The persistence the use cases need; `src/store/` implements it on disk (the embedded local workspace).
 * All mutations go through `update`, which runs under a cross-process lock against the latest state and
 * commits atomically: a crash leaves either the previous or the new state.
 */
/** A workspace whose state cannot be read (damaged, or written by a newer schema): reported, never rewritten. */
export interface DamagedWorkspace {
  name: string;
  file: string;
  /** AccelError code: 'SchemaTooNew' or 'Internal' (damaged). */
  code: string;
  /** Says what is wrong and what to do. */
  message: string;
}

export interface WorkspaceStore {
  readonly home: string;
  /** The readable workspaces; a damaged one is left out (and listed by listDamagedWorkspaces), never fatal. */
  listWorkspaces(): Promise<Workspace[]>;
  listDamagedWorkspaces(): Promise<DamagedWorkspace[]>;
  /** Runs `fn` under the home-wide lock that serializes changes whose rules span workspaces (service names, ports, devices). */
  withHomeWideLock<T>(fn: () => Promise<T> | T): Promise<T>;
  createWorkspace(name: string, description?: string): Promise<Workspace>;
  /** `guard` runs under the workspace lock against the latest state; if it throws, nothing is deleted. */
  deleteWorkspace(name: string, guard?: (state: WorkspaceState) => void): Promise<void>;
  /** The workspace commands use when none is named (`accel workspace use`). */
  getActiveWorkspace(): Promise<string | undefined>;
  setActiveWorkspace(name: string): Promise<void>;
  read(workspace: string): Promise<WorkspaceState>;
  update<T>(workspace: string, mutate: (state: WorkspaceState) => T | Promise<T>): Promise<T>;
  /** Copies content into the content-addressed blob store (deduplicated); returns its sha256. */
  putBlob(
    workspace: string,
    source: { path: string } | { bytes: Uint8Array },
  ): Promise<{ sha256: string; size: number }>;
  blobPath(workspace: string, sha256: string): string;
  /**
   * Under the workspace lock, removes those of `hashes` that the state no longer mentions (call after a delete
   * committed). Returns the removed hashes.
   */
  releaseBlobs?(workspace: string, hashes: string[]): Promise<string[]>;
  /** Path of the JSON document that changes on every commit (for file watchers). */
  stateFile(workspace: string): string;
}
