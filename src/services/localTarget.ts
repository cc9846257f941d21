// The local emulator as a service target: the home's emulator host runs the service; its live state, log and key
// changes are confirmed by the host (src/emulator/host/localServices.ts).
import * as fs from 'node:fs';
import { getServiceKeys } from '../core/services';
import type { Service } from '../domain/types';
import { findHost, readLogTail, serviceLogPath } from '../emulator/host/hostControl';
import { deleteLocalService, regenerateLocalKey, updateLocalService } from '../emulator/host/localServices';
import { localAddress } from './localAddress';
import type { LiveState, ServiceDeps, ServiceTarget } from './serviceTargets';

export function localTarget(deps: ServiceDeps): ServiceTarget {
  const { store, workspace } = deps;
  const options = () => ({
    client: deps.hostClient,
    host: deps.host,
    progress: deps.progress,
    cancel: deps.cancel,
  });
  return {
    kind: 'local',
    async state(service: Service): Promise<LiveState> {
      const client = await findHost(store.home);
      if (!client) return { state: 'stopped', summary: 'stopped (emulator not running)', desired: service.replicas };
      const live = (await client.status()).services.find((s) => s.name === service.name && s.workspace === workspace);
      if (!live) return { state: 'stopped', summary: 'stopped', desired: service.replicas };
      const state = live.state === 'Running' ? 'running' : live.state === 'Loading' ? 'starting' : 'failed';
      return {
        state,
        summary: state,
        ready: live.state === 'Running' ? service.replicas : 0,
        desired: service.replicas,
        error: live.error,
        requests: { total: live.requests, errors: live.errors },
        placement: live.devices.map((d) => `device ${d}`),
      };
    },
    address: async (service: Service) => localAddress(store, workspace, service),
    keys: (service) => getServiceKeys(store, workspace, service.name),
    async regenerateKey(service, which) {
      const keys = await regenerateLocalKey(store, workspace, service.name, which);
      const message = {
        applied: `The running service accepts it now and refuses the old ${which} key; the other key is unchanged.`,
        'host-not-running': `Saved; the emulator is not running, so it takes effect when the service starts (the old ${which} key will not work then). The other key is unchanged.`,
        'service-not-running': `Saved; the service is not running in the emulator, so it takes effect when it starts. The other key is unchanged.`,
      }[keys.effect];
      return { primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey, effect: keys.effect, message };
    },
    async update(service, update) {
      const { service: updated } = await updateLocalService(
        store,
        workspace,
        service.name,
        {
          imageRef: update.image,
          replicas: update.replicas,
          authEnabled: update.authEnabled,
          description: update.description,
          tls: update.tls,
        },
        options(),
      );
      return updated;
    },
    async logs(service, lines) {
      const file = serviceLogPath(store.home, service.name);
      return [{ source: file, text: fs.existsSync(file) ? readLogTail(file, lines) : '' }];
    },
    async delete(service) {
      await deleteLocalService(store, workspace, service.name);
      return { removed: [`emulator service ${service.name}`] };
    },
  };
}
