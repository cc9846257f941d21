// The extension's handle on the emulator host of its store home: started on demand (never at activation),
// supervised (restart with back-off, which restores the deployed services from the store), stopped on request.
// Inference never runs in the extension host: the host is a separate process (dist/emulator.js). Deploys go through
// src/services (the same path as the CLI), which uses `ensureRunning` for the host.
import * as vscode from 'vscode';
import type { WorkspaceStore } from '../domain/ports';
import {
  type HostClient,
  Supervisor,
  findHost,
  hostLogPath,
  stopHost,
  waitForService,
  type HostStatus,
  type LiveService,
} from '../emulator/host/hostControl';

/**
 * Health checks (every 2 s, 5 s each) a live host may miss in a row before the supervisor replaces it: one slow
 * answer means a busy host (a large request, a slow disk), and killing it would stop every service on it.
 */
const MISSED_CHECKS_BEFORE_RESTART = 3;
/** How long ensureRunning waits for a supervised host to answer before it starts one anew. */
const BUSY_HOST_PATIENCE_MS = 15_000;

export type EmulatorState = 'stopped' | 'starting' | 'running' | 'failed';

export class EmulatorController implements vscode.Disposable {
  private supervisor?: Supervisor;
  private client?: HostClient;
  private lastStatus?: HostStatus;
  private lastError?: string;
  private starting?: Promise<HostClient>;
  state: EmulatorState = 'stopped';
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly store: WorkspaceStore,
    private readonly log: vscode.LogOutputChannel,
    private readonly devices: () => number,
  ) {}

  get home(): string {
    return this.store.home;
  }

  get logPath(): string {
    return hostLogPath(this.home);
  }

  get error(): string | undefined {
    return this.lastError;
  }

  private set(state: EmulatorState, error?: string): void {
    this.state = state;
    this.lastError = error;
    void vscode.commands.executeCommand('setContext', 'accel.emulatorState', state);
    this.changed.fire();
  }

  /** Notices a host that is already running (e.g. started by the CLI) without starting one. */
  async detect(): Promise<void> {
    if (this.state === 'starting') return;
    const client = await findHost(this.home);
    this.client = client;
    if (client) await this.refreshStatus();
    else this.lastStatus = undefined;
    this.set(client ? 'running' : this.state === 'failed' ? 'failed' : 'stopped', this.lastError);
  }

  async ensureRunning(): Promise<HostClient> {
    // A supervised host that answers late is busy, not gone: give it the supervisor's patience before starting anew.
    if (this.client && this.supervisor && (await this.client.healthy(BUSY_HOST_PATIENCE_MS))) return this.client;
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(): Promise<HostClient> {
    this.set('starting');
    await this.supervisor?.stop(); // one supervisor at a time: two would both restart the host
    this.supervisor = undefined;
    this.log.info(`starting the emulator host for ${this.home} (${this.devices()} devices)`);
    const supervisor = new Supervisor(this.home, {
      devices: this.devices(),
      missedChecksBeforeRestart: MISSED_CHECKS_BEFORE_RESTART,
    });
    supervisor.on('unresponsive', (reason: string) =>
      this.log.warn(`emulator host busy: ${reason}; it is restarted after ${MISSED_CHECKS_BEFORE_RESTART} in a row`),
    );
    supervisor.on('started', (client: HostClient, restarted: boolean) => {
      this.client = client;
      this.log.info(`emulator host ${restarted ? 'restarted' : 'running'}: pid ${client.info.pid}`);
      this.set('running');
      void this.refreshStatus().then(() => this.changed.fire());
    });
    supervisor.on('down', (reason: string) => {
      this.log.warn(`emulator host down: ${reason}; restarting`);
      this.set('starting');
    });
    supervisor.on('restartFailed', (e: Error) => {
      this.log.error(`emulator host restart failed: ${e.message}`);
      this.set('failed', e.message);
    });
    try {
      const client = await supervisor.start();
      this.supervisor = supervisor;
      // The host restores the deployed services from the store; wait until each is started (or failed).
      this.lastStatus = await client.reconcile();
      this.changed.fire();
      return client;
    } catch (e) {
      await supervisor.stop();
      this.set('failed', (e as Error).message);
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop({ stopHost: true });
    if (!this.supervisor) await stopHost(this.home);
    this.supervisor = undefined;
    this.client = undefined;
    this.lastStatus = undefined;
    this.set('stopped');
    this.log.info('emulator host stopped');
  }

  async refreshStatus(): Promise<HostStatus | undefined> {
    if (!this.client) return undefined;
    try {
      this.lastStatus = await this.client.status();
    } catch (e) {
      this.log.warn(`emulator status: ${(e as Error).message}`);
      this.lastStatus = undefined;
    }
    return this.lastStatus;
  }

  get status(): HostStatus | undefined {
    return this.lastStatus;
  }

  live(name: string): LiveService | undefined {
    return this.lastStatus?.services.find((s) => s.name === name);
  }

  /** Makes the running host match the store (after a service was added, changed or removed); optionally waits until `service` runs again. */
  async reconcile(service?: string): Promise<void> {
    const client = this.client ?? (await findHost(this.home));
    if (!client) return;
    this.lastStatus = await client.reconcile();
    if (service) {
      await waitForService(client, service);
      await this.refreshStatus();
    }
    this.changed.fire();
  }

  dispose(): void {
    // The host outlives the window on purpose (the CLI and other windows share it); only stop watching it.
    void this.supervisor?.stop();
    this.changed.dispose();
  }
}
