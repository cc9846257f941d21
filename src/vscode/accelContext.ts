// What every tree, command and panel shares: the store of the configured home, the active workspace, the log,
// the emulator controller, the user-input seam, and one change event fired when the store's files change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccelError } from '../domain/errors';
import type { SecretStore, WorkspaceStore } from '../domain/ports';
import { getServiceKeys } from '../core/services';
import type { Service } from '../domain/types';
import { HOST_INFO_FILE, waitForService } from '../emulator/host/hostControl';
import { ScorerCache } from '../scoring/scorerCache';
import { scoringTarget } from '../services/deployService';
import { openStore } from '../store/fileStore';
import { EmulatorController } from './emulatorController';
import { serviceDeps } from './serviceLiveStates';
import type { StoreChange } from './trees/viewRefresh';
import { VsCodeUserInput, type UserInput } from './ui';

/** A StoreChange being collected during the debounce window. */
type PendingChange = { -readonly [K in keyof StoreChange]: StoreChange[K] } & { workspaces: Set<string> };

export class AccelContext implements vscode.Disposable {
  readonly store: WorkspaceStore;
  readonly emulator: EmulatorController;
  ui: UserInput = new VsCodeUserInput();
  readonly secrets: SecretStore;
  /** One warm channel per service, kept across right-clicks. */
  readonly scorers: ScorerCache;
  private readonly changed = new vscode.EventEmitter<StoreChange>();
  private pending = AccelContext.noChange();
  /** Fires (debounced) when any workspace's state or the home's config changes on disk — by us, the CLI or another window. */
  readonly onDidChangeStore = this.changed.event;
  private watcher?: fs.FSWatcher;
  private debounce?: NodeJS.Timeout;
  private emulatorDebounce?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    const configured = vscode.workspace.getConfiguration('accel').get<string>('home')?.trim();
    this.store = openStore(configured || undefined);
    this.emulator = new EmulatorController(
      this.store,
      log,
      () => vscode.workspace.getConfiguration('accel').get<number>('emulator.devices') ?? 4,
    );
    const s = extension.secrets;
    this.secrets = {
      get: async (k) => s.get(k),
      store: (k, v) => Promise.resolve(s.store(k, v)),
      delete: (k) => Promise.resolve(s.delete(k)),
    };
    this.scorers = new ScorerCache(this.store, (ws, service) => ({
      key: (fresh) => this.primaryKey(ws, service, fresh),
      // A Kubernetes service is scored at its load balancer, with its TLS server name and certificate (src/services).
      remoteTarget: (s) => scoringTarget(serviceDeps(this, ws), s),
    }));
    this.disposables.push(this.emulator, this.changed, { dispose: () => this.scorers.dispose() });
  }

  get home(): string {
    return this.store.home;
  }

  /** Watches the home for commits (state.json renames, config.json) instead of polling. */
  startWatching(): void {
    try {
      fs.mkdirSync(this.home, { recursive: true, mode: 0o700 }); // private, as the store makes it
      this.watcher = fs.watch(this.home, { recursive: true }, (_event, file) => {
        const name = file ? path.basename(file.toString()) : '';
        // The emulator host (re)writes emulator.json when it starts or stops, whoever started it (CLI, another window).
        if (name === HOST_INFO_FILE) this.emulatorSoon();
        if (name && name !== 'state.json' && name !== 'config.json') return;
        const parts = file ? file.toString().split(path.sep) : [];
        if (name === 'state.json' && parts.length === 3 && parts[0] === 'workspaces')
          this.fireSoon({ workspace: parts[1] });
        else if (name === 'config.json') this.fireSoon({ config: true });
        else this.fireSoon({ unknown: true });
      });
      this.watcher.on('error', (e) => this.log.warn(`store watcher: ${e.message}`));
    } catch (e) {
      this.log.warn(`cannot watch ${this.home} (${(e as Error).message}); views refresh after each command only`);
    }
  }

  private emulatorSoon(): void {
    clearTimeout(this.emulatorDebounce);
    this.emulatorDebounce = setTimeout(() => void this.emulator.detect(), 300);
  }

  private static noChange(): PendingChange {
    return { workspaces: new Set<string>(), config: false, byCommand: false, unknown: false };
  }

  /**
   * Fires onDidChangeStore once changes stop for 100 ms, with what changed: a workspace's state, the config, or
   * (no argument) whatever a command of this window did.
   */
  fireSoon(what?: { workspace?: string; config?: boolean; unknown?: boolean }): void {
    if (what?.workspace) this.pending.workspaces.add(what.workspace);
    if (what?.config) this.pending.config = true;
    if (what?.unknown) this.pending.unknown = true;
    if (!what) this.pending.byCommand = true;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      const change = this.pending;
      this.pending = AccelContext.noChange();
      this.changed.fire(change);
      void this.pruneScorers();
    }, 100);
  }

  /** Closes the warm channels of services that no longer exist. */
  private async pruneScorers(): Promise<void> {
    const live = new Set<string>();
    for (const ws of await this.store.listWorkspaces().catch(() => [])) {
      const state = await this.store.read(ws.name).catch(() => undefined);
      if (!state) return; // an unreadable workspace: keep every channel rather than guess
      for (const s of state.services) live.add(`${ws.name}/${s.name}`);
    }
    this.scorers.retain(live);
  }

  /** The workspace commands act on: the one marked active, else the only/first one. */
  async activeWorkspace(): Promise<string | undefined> {
    const all = await this.store.listWorkspaces();
    const active = await this.store.getActiveWorkspace();
    if (active && all.some((w) => w.name === active)) return active;
    // A damaged active workspace stays active: its views show what is wrong instead of silently switching.
    if (active && (await this.store.listDamagedWorkspaces()).some((w) => w.name === active)) return active;
    return all[0]?.name;
  }

  async requireWorkspace(): Promise<string> {
    const ws = await this.activeWorkspace();
    if (!ws)
      throw new AccelError(
        'NotFound',
        'There is no workspace yet. Create one with "Accelerated Models: Create Local Workspace…" and retry.',
      );
    return ws;
  }

  /** Makes sure a service can be scored now: a local one has its emulator host running and its model loaded. */
  async readyToScore(workspace: string, service: Service): Promise<void> {
    if (service.target !== 'local') return;
    const client = await this.emulator.ensureRunning();
    await waitForService(client, service.name, 120_000, workspace);
  }

  /** Secret-storage key for a service key (cached there so copying it needs no store decryption). */
  serviceKeyId(workspace: string, service: string, which: 'primary' | 'secondary'): string {
    return `accel.serviceKey:${this.home}:${workspace}:${service}:${which}`;
  }

  /**
   * A service's primary key, cached in SecretStorage (the store keeps it sealed; this avoids unsealing per
   * request). `fresh` drops the cached copy and re-reads the store: the key may have been regenerated outside
   * VS Code (the CLI, another window), and a scorer refused with UNAUTHENTICATED asks for it this way.
   */
  async primaryKey(workspace: string, service: Service, fresh = false): Promise<string> {
    const id = this.serviceKeyId(workspace, service.name, 'primary');
    if (!fresh) {
      const cached = await this.secrets.get(id);
      if (cached) return cached;
    } else {
      await this.secrets.delete(id);
    }
    const key = (await getServiceKeys(this.store, workspace, service.name)).primaryKey;
    await this.secrets.store(id, key);
    return key;
  }

  dispose(): void {
    clearTimeout(this.debounce);
    clearTimeout(this.emulatorDebounce);
    this.watcher?.close();
    for (const d of this.disposables) d.dispose();
  }
}
