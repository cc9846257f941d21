// Services view: each service with its target (icon and description), its live state (local: the emulator host;
// container: the engine; Kubernetes: ready/desired pods from the cluster, e.g. "2/3 ready"), the scoring URI, and
// children for endpoint, replicas, auth (keys masked) and TLS. Live states come from ServiceLiveStates, a background
// refresher: getChildren reads its cache and never waits on the network.
import * as vscode from 'vscode';
import { scoringUri } from '../../core/services';
import type { Service } from '../../domain/types';
import type { LiveState } from '../../services/serviceTargets';
import type { AccelContext } from '../accelContext';
import { ServiceLiveStates } from '../serviceLiveStates';
import { BaseTree } from './baseTree';
import { leaf, tooltipTable, type TreeNode } from './treeNode';

export type ServiceState = 'running' | 'starting' | 'failed' | 'stopped';

const ICONS: Record<ServiceState, [string, string | undefined]> = {
  running: ['pass-filled', 'testing.iconPassed'],
  starting: ['loading~spin', undefined],
  failed: ['error', 'errorForeground'],
  stopped: ['circle-large-outline', 'disabledForeground'],
};

const TARGET_ICONS: Record<Service['target'], string> = {
  local: 'chip',
  container: 'vm-running',
  kubernetes: 'cloud',
};

/**
 * Where a service is reached, for labels: a Kubernetes service at its load balancer (as the cluster last said),
 * until then where it runs; without live state (a picker), the cluster and namespace.
 */
export function serviceAddress(service: Service, live?: LiveState): string {
  if (service.target !== 'kubernetes') return scoringUri(service);
  if (live?.uri) return live.uri;
  const k = service.kubernetes;
  if (!k) return 'kubernetes';
  return live ? `${k.context}/${k.namespace} (address pending)` : `kubernetes ${k.context}/${k.namespace}`;
}

export class ServicesTree extends BaseTree {
  readonly liveStates: ServiceLiveStates;

  constructor(viewId: string, ctx: AccelContext) {
    super(viewId, ctx);
    this.liveStates = new ServiceLiveStates(ctx);
    this.disposables.push(
      this.liveStates,
      ctx.emulator.onDidChange(() => this.refresh('emulator status')),
      this.liveStates.onDidChange(() => this.refresh('live state of a container or cluster service')),
    );
  }

  /** The host's live state of this workspace's service (a service of the same name from another workspace is not it). */
  private liveOf(ws: string, service: Service) {
    const live = this.ctx.emulator.live(service.name);
    return live?.workspace === ws ? live : undefined;
  }

  private static fromTarget(live: LiveState | undefined): ServiceState {
    if (!live) return 'starting';
    return live.state === 'missing' ? 'failed' : live.state;
  }

  serviceState(service: Service, ws: string): ServiceState {
    if (service.target !== 'local') return ServicesTree.fromTarget(this.liveStates.get(ws, service.name));
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
    this.liveStates.want(ws, services);
    return services.map((service) => {
      const state = this.serviceState(service, ws);
      const target = service.target === 'local' ? undefined : this.liveStates.get(ws, service.name);
      const live = this.liveOf(ws, service);
      const uri = serviceAddress(service, target);
      // Kubernetes: "2/3 ready"; containers: "1/2 running" until all run; local: the emulator's word.
      const summary = target && service.target === 'kubernetes' ? target.summary : state;
      const item = new vscode.TreeItem(service.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `services/${ws}/${service.name}`;
      item.description = `${summary}${service.target === 'local' ? '' : ` · ${service.target}`} · ${uri}`;
      const [icon, color] = service.target === 'local' ? ICONS[state] : [TARGET_ICONS[service.target], ICONS[state][1]];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      item.contextValue = `service;${state};${service.authEnabled ? 'auth' : 'noauth'}`;
      const error = live?.error ?? target?.error;
      item.tooltip = tooltipTable(service.name, [
        ['target', service.target],
        ['state', summary + (error ? ` (${error})` : '')],
        ['scoring URI', uri],
        ['image', service.imageId],
        [
          'replicas',
          target?.desired !== undefined ? `${target.ready ?? 0}/${target.desired} ready` : String(service.replicas),
        ],
        ['auth', service.authEnabled ? 'keys required' : 'off'],
        ['TLS', service.tls ? (service.tls.selfSigned ? 'self-signed' : 'PEM files') : 'none'],
        ['updated', service.updatedTime],
      ]);
      const base = `services/${ws}/${service.name}`;
      const children = async (): Promise<TreeNode[]> => [
        leaf(
          `${base}/endpoint`,
          'Endpoint',
          uri,
          'globe',
          `gRPC tensorflow.serving.PredictionService on ${uri}${service.restPort ? `; REST on port ${service.restPort}` : ''}`,
        ),
        leaf(`${base}/image`, 'Image', service.imageId, 'package'),
        service.target === 'local'
          ? leaf(
              `${base}/replicas`,
              'Replicas',
              `${service.replicas}${live ? ` on device${live.devices.length === 1 ? '' : 's'} ${live.devices.join(', ')}` : ''}`,
              'layers',
            )
          : leaf(
              `${base}/replicas`,
              service.target === 'container' ? 'Containers' : 'Pods',
              target
                ? `${target.ready ?? 0}/${target.desired ?? service.replicas} ready${target.placement?.length ? ` · ${target.placement.join(', ')}` : ''}`
                : `${service.replicas} (asking the ${service.target === 'container' ? 'engine' : 'cluster'}…)`,
              service.target === 'container' ? 'vm' : 'layers',
              service.container
                ? `${service.container.engine} runs ${service.container.location}`
                : service.kubernetes
                  ? `${service.kubernetes.imageRef} in ${service.kubernetes.context}/${service.kubernetes.namespace}`
                  : undefined,
            ),
        leaf(
          `${base}/requests`,
          'Requests',
          live
            ? `${live.requests} (${live.errors} errors)`
            : service.target === 'local'
              ? 'not running'
              : 'counted by each replica',
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
          service.tls
            ? `${service.tls.selfSigned ? 'self-signed' : 'PEM files'}${service.kubernetes?.tlsServerName ? ` for ${service.kubernetes.tlsServerName}` : ''}`
            : 'none',
          service.tls ? 'lock' : 'unlock',
        ),
      ];
      return { kind: 'service' as const, ws, service, item, children };
    });
  }
}
