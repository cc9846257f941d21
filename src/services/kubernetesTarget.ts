// A Kubernetes cluster (AKS or any kubeconfig context) as a service target: the live state, address, logs and
// deletes come from the cluster (src/azure/kubernetesServices.ts, loaded lazily with the Azure bundle).
import * as fs from 'node:fs';
import type { KubeDeps } from '../azure/kubernetesServices';
import type { Service } from '../domain/types';
import type { LiveState, ServiceAddress, ServiceDeps, ServiceTarget } from './serviceTargets';

/** The Azure and Kubernetes code: its own bundle (dist/azure.js), loaded on first use. */
export const azureLib = () => import('../azure');

export async function kubeDepsOf(deps: ServiceDeps): Promise<KubeDeps> {
  const kube = (await deps.kube?.()) ?? {};
  return { ...kube, progress: kube.progress ?? deps.progress, cancel: kube.cancel ?? deps.cancel };
}

/** The certificate a Kubernetes service serves, when clients must trust it themselves (self-signed). */
export function selfSignedCertificate(deps: ServiceDeps, service: Service): string | undefined {
  if (!service.tls?.selfSigned) return undefined;
  return fs.readFileSync(deps.store.blobPath(deps.workspace, service.tls.certBlob), 'utf8');
}

export function kubernetesTarget(deps: ServiceDeps): ServiceTarget {
  const { store, workspace } = deps;
  return {
    kind: 'kubernetes',
    async state(service: Service): Promise<LiveState> {
      const live = await (await azureLib()).kubernetesServiceState(await kubeDepsOf(deps), service);
      const ready = live.readyReplicas;
      const desired = live.desiredReplicas;
      const state =
        live.state === 'Missing'
          ? 'missing'
          : live.state === 'Failed' || live.state === 'Degraded'
            ? 'failed'
            : live.state === 'Ready' && ready > 0
              ? 'running'
              : 'starting';
      return {
        state,
        summary: live.state === 'Missing' ? 'missing from the cluster' : `${ready}/${desired} ready`,
        ready,
        desired,
        error: live.message,
        events: live.events,
        uri: live.address?.host
          ? `${service.tls ? 'grpcs' : 'grpc'}://${live.address.host.includes(':') ? `[${live.address.host}]` : live.address.host}:${live.address.port}`
          : undefined,
        placement: service.kubernetes ? [`${service.kubernetes.context}/${service.kubernetes.namespace}`] : [],
      };
    },
    async address(service: Service): Promise<ServiceAddress> {
      const live = await (await azureLib()).kubernetesServiceState(await kubeDepsOf(deps), service);
      const useSsl = !!service.tls;
      const serverName = live.address?.serverName ?? service.kubernetes?.tlsServerName;
      if (!live.address?.host)
        return { uri: '', host: '', port: service.port, useSsl, serverName, pending: live.message ?? 'no address yet' };
      const { host, port } = live.address;
      return {
        uri: `${useSsl ? 'grpcs' : 'grpc'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
        host,
        port,
        useSsl,
        serverName,
        caPem: selfSignedCertificate(deps, service),
      };
    },
    keys: async (service) => (await azureLib()).kubernetesServiceKeys(store, workspace, service.name),
    async regenerateKey(service, which) {
      const keys = await (
        await azureLib()
      ).regenerateKubernetesKey(store, workspace, service.name, which, await kubeDepsOf(deps));
      return {
        ...keys,
        // The regeneration returns once the rollout is complete: every pod serves the new key.
        effect: 'applied',
        message: `Every pod has rolled over to it; the old ${which} key no longer works. The other key is unchanged.`,
      };
    },
    async update(service, update) {
      const lib = await azureLib();
      await lib.updateKubernetesService(
        store,
        workspace,
        service.name,
        {
          image: update.image,
          imageRef: update.imageRef,
          registry: update.registry,
          subscriptionId: update.subscriptionId,
          replicas: update.replicas,
          autoscale: update.autoscale,
          authEnabled: update.authEnabled,
          description: update.description,
          tls: update.tls === 'none' ? 'off' : update.tls,
          dnsLabel: update.dnsLabel,
          region: update.region,
          tlsServerName: update.tlsServerName,
          allowPlaintext: update.allowPlaintext,
          timeoutMs: update.timeoutMs,
        },
        await kubeDepsOf(deps),
      );
      return (await store.read(workspace)).services.find((s) => s.name === service.name)!;
    },
    async logs(service, lines) {
      const logs = await (
        await azureLib()
      ).kubernetesServiceLogs(store, workspace, service.name, await kubeDepsOf(deps), lines);
      return logs.map((p) => ({ source: `pod ${p.pod} (${p.phase ?? 'unknown'})`, text: p.log }));
    },
    async delete(service) {
      const { deleted } = await (
        await azureLib()
      ).deleteKubernetesService(store, workspace, service.name, await kubeDepsOf(deps));
      return { removed: deleted };
    },
  };
}
