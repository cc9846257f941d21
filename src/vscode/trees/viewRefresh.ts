// When a view refreshes, and why. Change events within REFRESH_DELAY_MS make one refresh; a hidden view marks
// itself stale instead and refreshes when it becomes visible; each refresh is logged with its reasons. Which store
// changes matter to a view is decided here too. No `vscode` import: unit-tested in plain Node.

/** Change events arriving within this delay make one refresh of a view. */
export const REFRESH_DELAY_MS = 150;

/** What changed in the store during one debounce window of the store watcher. */
export interface StoreChange {
  /** Workspaces whose state.json was written (by this window, the CLI or another window). */
  readonly workspaces: ReadonlySet<string>;
  /** config.json was written: the active workspace may have changed. */
  readonly config: boolean;
  /** A command of this window finished changing the store (what it touched is not tracked). */
  readonly byCommand: boolean;
  /** The watcher saw a change without a file name: anything may have changed. */
  readonly unknown: boolean;
}

/** A store change as a refresh reason for the log. */
export function describeStoreChange(c: StoreChange): string {
  const parts = [
    ...(c.workspaces.size ? [`store change of workspace ${[...c.workspaces].join(', ')}`] : []),
    ...(c.config ? ['active workspace (config.json)'] : []),
    ...(c.byCommand ? ['a command changed the store'] : []),
    ...(c.unknown ? ['unnamed store change'] : []),
  ];
  return parts.join('; ') || 'store change';
}

/** Which store changes a view shows: the active workspace's (Models, Images, Services) or any workspace's. */
export type ViewScope = 'activeWorkspace' | 'allWorkspaces';

/**
 * Whether a store change touches a view. `shownWorkspace` is the workspace the view's roots were last read for
 * (undefined before the first read: then every change matters).
 */
export function affects(change: StoreChange, scope: ViewScope, shownWorkspace: string | undefined): boolean {
  if (scope === 'allWorkspaces' || change.byCommand || change.config || change.unknown) return true;
  return shownWorkspace === undefined || change.workspaces.has(shownWorkspace);
}

export interface ViewRefreshHooks {
  /** Fires the view's onDidChangeTreeData. */
  fire(): void;
  /** Whether the view is visible now (true until a TreeView is attached). */
  visible(): boolean;
  /** Trace-level log line. */
  trace(message: string): void;
}

export class ViewRefresh {
  private timer?: ReturnType<typeof setTimeout>;
  private readonly reasons = new Set<string>();
  private readonly staleReasons = new Set<string>();

  constructor(
    readonly viewId: string,
    private readonly hooks: ViewRefreshHooks,
    private readonly delayMs = REFRESH_DELAY_MS,
  ) {}

  /** Whether changes came while the view was hidden. */
  get stale(): boolean {
    return this.staleReasons.size > 0;
  }

  /** Asks for a refresh; requests within the delay make one. */
  request(reason: string): void {
    this.reasons.add(reason);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** The view became visible: a stale view refreshes now. */
  shown(): void {
    if (!this.stale) return;
    const why = `shown after changes while hidden: ${[...this.staleReasons].join('; ')}`;
    this.staleReasons.clear();
    this.request(why);
  }

  private flush(): void {
    this.timer = undefined;
    const reasons = [...this.reasons];
    this.reasons.clear();
    if (!this.hooks.visible()) {
      for (const r of reasons) this.staleReasons.add(r);
      this.hooks.trace(`${this.viewId}: hidden, marked stale (${reasons.join('; ')})`);
      return;
    }
    this.hooks.trace(`${this.viewId}: refresh (${reasons.join('; ')})`);
    this.hooks.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.reasons.clear();
  }
}
