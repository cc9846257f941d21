// Services view: each service with its live state from the emulator (running / starting / failed / stopped),
// the scoring URI as description, and children for endpoint, replicas/devices and auth (keys masked).
import * as vscode from 'vscode';
import { containerStates, type ContainerState } from '../../container/containerServices';
import { scoringUri } from '../../core/services';
import type { Service } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import { BaseTree } from './baseTree';
import { leaf, tooltipTable, type TreeNode } from './treeNode';

export type ServiceState = 'running' | 'starting' | 'failed' | 'stopped';

const ICONS: Record<ServiceState, [string, string | undefined]> = {
  running: ['pass-filled', 'testing.iconPassed'],
  starting: ['loading~spin', undefined],
  failed: ['error', 'errorForeground'],
  stopped: ['circle-large-outline', 'disabledForeground'],
};

export class ServicesTree extends BaseTree {
  constructor(viewId: string, ctx: AccelContext) {
    super(viewId, ctx);
    this.disposables.push(ctx.emulator.onDidChange(() => this.refresh()));
  }

  /** The host's live state of this workspace's service (a service of the same name from another workspace is not it). */
  private liveOf(ws: string, service: Service) {
    const live = this.ctx.emulator.live(service.name);
    return live?.workspace === ws ? live : undefined;
  }

  /** A container service's state comes from its engine, not from the emulator host. */
  private static containerState(containers: ContainerState[]): ServiceState {
    if (
      !containers.length ||
      containers.some((c) => c.state === 'missing' || c.state === 'exited' || c.health === 'unhealthy')
    )
      return 'failed';
    return containers.every((c) => c.state === 'running') ? 'running' : 'starting';
  }

  serviceState(service: Service, ws: string): ServiceState {
    const emu = this.ctx.emulator;
    if (emu.state === 'starting') return 'starting';
    const live = this.liveOf(ws, service);
    if (!live) return emu.state === 'failed' ? 'failed' : 'stopped';
    return live.state === 'Running' ? 'running' : live.state === 'Loading' ? 'starting' : 'failed';
  }

  protected async roots(): Promise<TreeNode[]> {
    const ws = await this.ctx.activeWorkspace();
    if (!ws) return [];
    const services = (await this.ctx.store.read(ws)).services.slice().sort((a, b) => a.name.localeCompare(b.name));
    if (services.length && this.ctx.emulator.state === 'running') await this.ctx.emulator.refreshStatus();
    const containers = new Map<string, ContainerState[]>();
    for (const service of services)
      if (service.target === 'container') containers.set(service.name, await containerStates(service).catch(() => []));
    return services.map((service) => {
      const ctr = containers.get(service.name);
      const state = ctr ? ServicesTree.containerState(ctr) : this.serviceState(service, ws);
      const live = this.liveOf(ws, service);
      const item = new vscode.TreeItem(service.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `services/${ws}/${service.name}`;
      item.description = `${state}${ctr ? ' · container' : ''} · ${scoringUri(service)}`;
      // Container services get the VM icon (their own engine runs them), colored by state like the others.
      const [icon, color] = ctr ? ['vm-running', ICONS[state][1]] : ICONS[state];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      item.contextValue = `service;${state};${service.authEnabled ? 'auth' : 'noauth'}`;
      item.tooltip = tooltipTable(service.name, [
        ['state', state + (live?.error ? ` (${live.error})` : '')],
        ['scoring URI', scoringUri(service)],
        ['image', service.imageId],
        ['replicas', String(service.replicas)],
        ['auth', service.authEnabled ? 'keys required' : 'off'],
        ['TLS', service.tls ? (service.tls.selfSigned ? 'self-signed' : 'PEM files') : 'none'],
        ['updated', service.updatedTime],
      ]);
      const base = `services/${ws}/${service.name}`;
      const children = async (): Promise<TreeNode[]> => [
        leaf(
          `${base}/endpoint`,
          'Endpoint',
          scoringUri(service),
          'globe',
          `gRPC tensorflow.serving.PredictionService on ${scoringUri(service)}${service.restPort ? `; REST on port ${service.restPort}` : ''}`,
        ),
        leaf(`${base}/image`, 'Image', service.imageId, 'package'),
        ctr
          ? leaf(
              `${base}/replicas`,
              'Containers',
              ctr.map((c) => `${c.name} :${c.port} ${c.state}`).join(', '),
              'vm',
              `${service.container?.engine} runs ${service.container?.location}`,
            )
          : leaf(
              `${base}/replicas`,
              'Replicas',
              `${service.replicas}${live ? ` on device${live.devices.length === 1 ? '' : 's'} ${live.devices.join(', ')}` : ''}`,
              'layers',
            ),
        leaf(
          `${base}/requests`,
          'Requests',
          live ? `${live.requests} (${live.errors} errors)` : 'not running',
          'pulse',
        ),
        leaf(
          `${base}/auth`,
          'Auth',
          service.authEnabled ? 'primary ••••••••  secondary ••••••••' : 'off',
          service.authEnabled ? 'key' : 'unlock',
        ),
        leaf(
          `${base}/tls`,
          'TLS',
          service.tls ? (service.tls.selfSigned ? 'self-signed' : 'PEM files') : 'none',
          service.tls ? 'lock' : 'unlock',
        ),
      ];
      return { kind: 'service' as const, ws, service, item, children };
    });
  }
}
