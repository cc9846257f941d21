// A local container engine (podman or docker) as a service target: one container per replica, each on its own
// port; the engine is asked for the live state and the logs (src/container/containerServices.ts).
import {
  containerServiceLogs,
  containerStates,
  deleteContainerService,
  regenerateContainerKey,
  scaleContainerService,
  updateContainerTls,
} from '../container/containerServices';
import { getServiceKeys } from '../core/services';
import { AccelError } from '../domain/errors';
import type { Service } from '../domain/types';
import { localAddress } from './localAddress';
import type { LiveState, ServiceDeps, ServiceTarget } from './serviceTargets';

export function containerTarget(deps: ServiceDeps): ServiceTarget {
  const { store, workspace } = deps;
  return {
    kind: 'container',
    async state(service: Service): Promise<LiveState> {
      const containers = await containerStates(service);
      // Without systemd, podman never runs the health timer and reports "starting" for good: only "unhealthy" counts.
      const ready = containers.filter((c) => c.state === 'running' && c.health !== 'unhealthy').length;
      const broken = containers.filter(
        (c) => c.state === 'missing' || c.state === 'exited' || c.health === 'unhealthy',
      );
      const state =
        containers.length && ready === containers.length
          ? 'running'
          : broken.length || !containers.length
            ? 'failed'
            : 'starting';
      return {
        state,
        summary: state === 'running' ? 'running' : `${ready}/${containers.length} running`,
        ready,
        desired: service.replicas,
        error: broken.length
          ? broken.map((c) => `${c.name} ${c.state}${c.health ? `/${c.health}` : ''}`).join(', ')
          : undefined,
        placement: containers.map((c) => `${c.name} :${c.port} ${c.state}${c.health ? `/${c.health}` : ''}`),
        units: containers,
      };
    },
    address: async (service: Service) => localAddress(store, workspace, service),
    keys: (service) => getServiceKeys(store, workspace, service.name),
    async regenerateKey(service, which) {
      const keys = await regenerateContainerKey(store, workspace, service.name, which);
      return {
        ...keys,
        effect: 'applied',
        message: `The containers were recreated with it; the old ${which} key no longer works, the other key is unchanged.`,
      };
    },
    async update(service, update) {
      if (update.tls === undefined && update.replicas === undefined)
        throw new AccelError(
          'InvalidArgument',
          `Nothing to update for service "${service.name}". Give --replicas, or --self-signed, --ssl-cert with --ssl-key, or --no-tls.`,
        );
      let updated = service;
      // TLS first: its containers are recreated with the new certificate folder (restored if they do not turn healthy).
      if (update.tls !== undefined)
        updated = (await updateContainerTls(store, workspace, service.name, update.tls)).service;
      if (update.replicas !== undefined)
        updated = (await scaleContainerService(store, workspace, service.name, update.replicas)).service;
      return updated;
    },
    async logs(service, lines) {
      return (await containerServiceLogs(store, workspace, service.name, lines)).map((l) => ({
        source: `container ${l.container}`,
        text: l.log,
      }));
    },
    async delete(service) {
      const deleted = await deleteContainerService(store, workspace, service.name);
      return { removed: (deleted.container?.containers ?? []).map((c) => `container ${c.name}`) };
    },
  };
}
