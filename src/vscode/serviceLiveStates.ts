// The live state of every service, fetched in the background: the emulator host's status for local services, the
// container engine for container services, the cluster for Kubernetes services ("2/3 ready"). The Services view
// reads only this cache, so getChildren never waits on a network call; a change of what the targets report fires
// onDidChange (the view then redraws). Polls fast while something is on its way, slowly once all is steady.
import * as vscode from 'vscode';
import type { ArmContext } from '../azure/armContext';
import type { Service } from '../domain/types';
import type { CancellationSignal, ProgressReporter } from '../domain/ports';
import { targetFor } from '../services/deployService';
import type { LiveState, ServiceDeps } from '../services/serviceTargets';
import type { AccelContext } from './accelContext';

const FAST_MS = 2_000;
const STEADY_MS = 15_000;
/** One target that does not answer must not hold up the others' states. */
const STATE_TIMEOUT_MS = 20_000;

let armContext: (() => ArmContext) | undefined;

/** The Azure sign-in of the window (set by the Azure commands): AKS clusters reached through ARM need it. */
export function useArmContext(provider: () => ArmContext): void {
  armContext = provider;
}

/** What src/services needs from the extension: the store, the supervised emulator host, Azure, progress and cancel. */
export function serviceDeps(
  ctx: AccelContext,
  workspace: string,
  progress?: ProgressReporter,
  cancel?: CancellationSignal,
): ServiceDeps {
  return {
    store: ctx.store,
    workspace,
    hostClient: () => ctx.emulator.ensureRunning(),
    kube: async () => ({ arm: armContext?.() }),
    progress,
    cancel,
    warn: (m) => {
      ctx.log.warn(m);
      void vscode.window.showWarningMessage(m);
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class ServiceLiveStates implements vscode.Disposable {
  private readonly states = new Map<string, LiveState>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private wanted: { ws: string; services: Service[] } | undefined;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private disposed = false;

  constructor(private readonly ctx: AccelContext) {}

  /** The last state fetched for a container or Kubernetes service (undefined until the first answer). */
  get(ws: string, name: string): LiveState | undefined {
    return this.states.get(`${ws}/${name}`);
  }

  /** The services the view shows now; a first fetch is scheduled at once, never awaited by the caller. */
  want(ws: string, services: Service[]): void {
    const known = this.wanted && this.wanted.ws === ws ? new Set(this.wanted.services.map((s) => s.name)) : new Set();
    this.wanted = { ws, services };
    const fresh = services.some((s) => !known.has(s.name) || !this.states.has(`${ws}/${s.name}`));
    if (fresh) this.pollSoon(0);
    else if (!this.timer && !this.polling) this.pollSoon(STEADY_MS);
  }

  /** After a command changed a service: fetch again now. */
  refreshSoon(): void {
    this.pollSoon(0);
  }

  private pollSoon(ms: number): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, ms);
  }

  private async poll(): Promise<void> {
    const wanted = this.wanted;
    if (!wanted || !wanted.services.length) return;
    let changed = false;
    let settling = false;
    if (wanted.services.some((s) => s.target === 'local') && this.ctx.emulator.state === 'running') {
      const before = JSON.stringify(this.ctx.emulator.status?.services ?? []);
      await this.ctx.emulator.refreshStatus();
      const after = this.ctx.emulator.status?.services ?? [];
      if (JSON.stringify(after) !== before) changed = true;
      if (after.some((s) => s.state === 'Loading')) settling = true;
    }
    const deps = serviceDeps(this.ctx, wanted.ws);
    await Promise.all(
      wanted.services
        .filter((s) => s.target !== 'local')
        .map(async (service) => {
          const state = await withTimeout(
            targetFor(service, deps).state(service),
            STATE_TIMEOUT_MS,
            `the ${service.target} of ${service.name}`,
          ).catch((e: Error): LiveState => ({
            state: 'failed',
            summary: 'unreachable',
            error: e.message.split('\n')[0],
          }));
          const key = `${wanted.ws}/${service.name}`;
          if (JSON.stringify(this.states.get(key)) !== JSON.stringify(state)) changed = true;
          this.states.set(key, state);
          if (state.state !== 'running') settling = true;
        }),
    );
    if (changed && !this.disposed) this.changed.fire();
    this.pollSoon(settling ? FAST_MS : STEADY_MS);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.changed.dispose();
  }
}
