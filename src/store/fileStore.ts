// The embedded local workspace store: the on-disk WorkspaceStore.
//
//   <home>/config.json                                   { schemaVersion, activeWorkspace }
//   <home>/workspaces/<name>/state.json                  the whole WorkspaceState, one JSON document
//   <home>/workspaces/<name>/blobs/sha256/<2 hex>/<hash> model files and other blobs, content-addressed
//
// One document per workspace makes every multi-entity change (e.g. a model and its conversion operation)
// a single atomic rename. Writers serialize on a lock file per workspace; readers need no lock.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccelError, isAccelError } from '../domain/errors';
import { validateName } from '../domain/names';
import type { DamagedWorkspace, WorkspaceStore } from '../domain/ports';
import type { Workspace, WorkspaceState } from '../domain/types';
import { fsyncDir, mkdirPrivate, removeDeadTempFiles, writeFileAtomic } from './atomicFile';
import { blobPathIn, putBlobIn } from './blobs';
import { withLock } from './lock';
import { ensurePrivateHome } from './privateHome';
import { SCHEMA_VERSION, assertValidState, emptyState, parseState, schemaTooNew, serializeState } from './schema';

interface HomeConfig {
  schemaVersion: number;
  activeWorkspace?: string;
}

/** `home`, else ACCEL_HOME, else ~/.accel. */
export function resolveHome(home?: string): string {
  return path.resolve(home || process.env.ACCEL_HOME || path.join(os.homedir(), '.accel'));
}

/** The store of `home` (see resolveHome); refuses another user's home and makes an existing one private. */
export function openStore(home?: string): FileStore {
  const resolved = resolveHome(home);
  ensurePrivateHome(resolved);
  return new FileStore(resolved);
}

export class FileStore implements WorkspaceStore {
  constructor(readonly home: string) {}

  private get workspacesDir(): string {
    return path.join(this.home, 'workspaces');
  }

  private get configFile(): string {
    return path.join(this.home, 'config.json');
  }

  workspaceDir(name: string): string {
    return path.join(this.workspacesDir, validateName('workspace', name));
  }

  stateFile(workspace: string): string {
    return path.join(this.workspaceDir(workspace), 'state.json');
  }

  blobsDir(workspace: string): string {
    return path.join(this.workspaceDir(workspace), 'blobs');
  }

  blobPath(workspace: string, sha256: string): string {
    return blobPathIn(this.blobsDir(workspace), sha256);
  }

  private notFound(name: string): AccelError {
    return new AccelError(
      'NotFound',
      `Workspace "${name}" does not exist in ${this.home}. Create it with \`accel workspace create ${name}\` or list them with \`accel workspace list\`.`,
    );
  }

  private assertExists(name: string): void {
    if (!fs.existsSync(this.stateFile(name))) throw this.notFound(name);
  }

  /** Runs `fn` under the home lock (config.json, creating and deleting workspaces). */
  private withHomeLock<T>(fn: () => Promise<T> | T): Promise<T> {
    try {
      mkdirPrivate(this.workspacesDir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AccelError(
        'InvalidArgument',
        `Cannot write the accel home ${this.home} (${code}). Set ACCEL_HOME (or the accel.home setting) to a folder you can write, or fix its permissions.`,
      );
    }
    return withLock(path.join(this.home, '.lock'), `The accel home ${this.home}`, fn);
  }

  private async withWorkspaceLock<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    this.assertExists(name);
    try {
      return await withLock(path.join(this.workspaceDir(name), '.lock'), `Workspace "${name}"`, async () => {
        this.assertExists(name); // deleted while we waited
        return fn();
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(this.stateFile(name)))
        throw this.notFound(name);
      throw e;
    }
  }

  private readConfig(): HomeConfig {
    let text: string;
    try {
      text = fs.readFileSync(this.configFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: SCHEMA_VERSION };
      throw e;
    }
    let config: HomeConfig;
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new AccelError(
        'Internal',
        `The accel settings file ${this.configFile} is damaged (${(e as Error).message}). Delete it and choose the active workspace again with \`accel workspace use NAME\`.`,
      );
    }
    if (typeof config.schemaVersion === 'number' && config.schemaVersion > SCHEMA_VERSION)
      throw schemaTooNew(this.configFile, config.schemaVersion);
    return config;
  }

  private writeConfig(config: HomeConfig): void {
    writeFileAtomic(this.configFile, `${JSON.stringify({ ...config, schemaVersion: SCHEMA_VERSION }, null, 2)}\n`);
  }

  /** Names of the workspace folders that hold a state.json, readable or not. */
  private workspaceNames(): string[] {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.workspacesDir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return entries
      .filter(
        (d) =>
          d.isDirectory() &&
          !d.name.startsWith('.') &&
          fs.existsSync(path.join(this.workspacesDir, d.name, 'state.json')),
      )
      .map((d) => d.name)
      .sort((a, b) => a.localeCompare(b));
  }

  /**
   * Every workspace of the home, split into the readable ones and the damaged ones (unreadable JSON, invalid
   * content, newer schema). One damaged workspace never hides the others; it is reported and left as it is.
   */
  async scanWorkspaces(): Promise<{ workspaces: Workspace[]; damaged: DamagedWorkspace[] }> {
    const workspaces: Workspace[] = [];
    const damaged: DamagedWorkspace[] = [];
    for (const name of this.workspaceNames()) {
      try {
        workspaces.push(this.readState(name).workspace);
      } catch (e) {
        if (isAccelError(e, 'NotFound')) continue; // deleted while we listed
        damaged.push({
          name,
          file: this.stateFile(name),
          code: isAccelError(e) ? e.code : 'Internal',
          message: (e as Error).message,
        });
      }
    }
    return { workspaces, damaged };
  }

  /** The readable workspaces; damaged ones are left out (see listDamagedWorkspaces). */
  async listWorkspaces(): Promise<Workspace[]> {
    return (await this.scanWorkspaces()).workspaces;
  }

  async listDamagedWorkspaces(): Promise<DamagedWorkspace[]> {
    return (await this.scanWorkspaces()).damaged;
  }

  /** Runs `fn` under the one home-wide lock: changes whose rules span workspaces (service names, ports, devices). */
  withHomeWideLock<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.withHomeLock(fn);
  }

  async createWorkspace(name: string, description?: string): Promise<Workspace> {
    validateName('workspace', name);
    return this.withHomeLock(() => {
      removeDeadTempFiles(this.workspacesDir);
      const dir = this.workspaceDir(name);
      if (fs.existsSync(dir)) {
        if (fs.existsSync(path.join(dir, 'state.json'))) {
          throw new AccelError(
            'AlreadyExists',
            `Workspace "${name}" already exists. Use it with \`accel workspace use ${name}\`, or pick another name.`,
          );
        }
        throw new AccelError(
          'AlreadyExists',
          `The folder ${dir} exists but is not a workspace (no state.json). Move or delete it, then create the workspace again.`,
        );
      }
      // Build the workspace in a temp folder and rename it into place: it appears complete or not at all.
      const staging = path.join(
        this.workspacesDir,
        `.new-${name}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`,
      );
      try {
        mkdirPrivate(path.join(staging, 'blobs', 'sha256'));
        const state = emptyState(name, new Date().toISOString(), description);
        writeFileAtomic(path.join(staging, 'state.json'), serializeState(state));
        fs.renameSync(staging, dir);
        fsyncDir(this.workspacesDir);
      } catch (e) {
        fs.rmSync(staging, { recursive: true, force: true });
        throw e;
      }
      // The first workspace becomes the active one, so commands work without --workspace.
      const config = this.readConfig();
      if (!config.activeWorkspace || !fs.existsSync(this.stateFile(config.activeWorkspace)))
        this.writeConfig({ ...config, activeWorkspace: name });
      return this.readState(name).workspace;
    });
  }

  async deleteWorkspace(name: string, guard?: (state: WorkspaceState) => void): Promise<void> {
    validateName('workspace', name);
    this.assertExists(name);
    await this.withHomeLock(() =>
      this.withWorkspaceLock(name, () => {
        guard?.(this.readState(name));
        // Rename first (atomic), then remove: a crash leaves a hidden leftover folder, never half a workspace.
        const trash = path.join(
          this.workspacesDir,
          `.deleted-${name}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`,
        );
        fs.renameSync(this.workspaceDir(name), trash);
        fsyncDir(this.workspacesDir);
        const config = this.readConfig();
        if (config.activeWorkspace === name) this.writeConfig({ schemaVersion: SCHEMA_VERSION });
        fs.rmSync(trash, { recursive: true, force: true });
      }),
    );
  }

  async getActiveWorkspace(): Promise<string | undefined> {
    const active = this.readConfig().activeWorkspace;
    return active && fs.existsSync(this.stateFile(active)) ? active : undefined;
  }

  async setActiveWorkspace(name: string): Promise<void> {
    validateName('workspace', name);
    this.assertExists(name);
    await this.withHomeLock(() => {
      this.assertExists(name);
      this.writeConfig({ ...this.readConfig(), activeWorkspace: name });
    });
  }

  private readState(name: string): WorkspaceState {
    const file = this.stateFile(name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw this.notFound(name);
      throw e;
    }
    return parseState(text, file);
  }

  async read(workspace: string): Promise<WorkspaceState> {
    return this.readState(workspace);
  }

  async update<T>(workspace: string, mutate: (state: WorkspaceState) => T | Promise<T>): Promise<T> {
    return this.withWorkspaceLock(workspace, async () => {
      removeDeadTempFiles(this.workspaceDir(workspace));
      const file = this.stateFile(workspace);
      const before = fs.readFileSync(file, 'utf8');
      const draft = parseState(before, file);
      const result = await mutate(draft);
      assertValidState(draft, file);
      const after = serializeState(draft);
      if (after !== before) writeFileAtomic(file, after);
      return result;
    });
  }

  async putBlob(
    workspace: string,
    source: { path: string } | { bytes: Uint8Array },
  ): Promise<{ sha256: string; size: number }> {
    this.assertExists(workspace);
    const dir = this.blobsDir(workspace);
    removeDeadTempFiles(dir);
    return putBlobIn(dir, source);
  }

  async releaseBlobs(workspace: string, hashes: string[]): Promise<string[]> {
    return this.withWorkspaceLock(workspace, () => {
      const file = this.stateFile(workspace);
      const text = fs.readFileSync(file, 'utf8');
      parseState(text, file); // a damaged state may still need blobs it no longer names readably: keep them all
      const removed: string[] = [];
      for (const hash of new Set(hashes)) {
        if (text.includes(hash)) continue;
        const file = this.blobPath(workspace, hash);
        if (fs.existsSync(file)) {
          fs.rmSync(file, { force: true });
          removed.push(hash);
        }
      }
      return removed;
    });
  }
}
