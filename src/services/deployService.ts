// One deploy for every target, with rollback: the request is checked against the target's option rules, then the
// target's deploy runs and waits until the service serves (local: the model loaded in the emulator; container: every
// container healthy; Kubernetes: the objects applied). A failure or a cancel leaves nothing behind. Also the factory
// that picks a service's adapter, and the scoring address every face uses.
import { deployContainerService } from '../container/containerServices';
import type { TlsOption } from '../core/services';
import { AccelError } from '../domain/errors';
import type { Service } from '../domain/types';
import { deployLocalService } from '../emulator/host/localServices';
import type { RemoteTarget } from '../scoring/serviceScorer';
import { containerTarget } from './containerTarget';
import { azureLib, kubeDepsOf, kubernetesTarget } from './kubernetesTarget';
import { localTarget } from './localTarget';
import { checkDeployFlags, checkPlaintext, type TargetKind } from './optionRules';
import type { ServiceDeps, ServiceTarget } from './serviceTargets';

export function targetFor(service: Pick<Service, 'target'>, deps: ServiceDeps): ServiceTarget {
  switch (service.target) {
    case 'local':
      return localTarget(deps);
    case 'container':
      return containerTarget(deps);
    case 'kubernetes':
      return kubernetesTarget(deps);
  }
}

export interface KubernetesDeployRequest {
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  aks?: { subscriptionId: string; resourceGroup: string; name: string };
  subscriptionId?: string;
  imageRef?: string;
  registry?: string;
  autoscale?: boolean | { min?: number; max?: number; targetUtilization?: number };
  dnsLabel?: string;
  tlsServerName?: string;
  /** A Compute of the store (an AKS cluster): its context, region and accelerator scheduling. */
  compute?: string;
  /** Region for the DNS label's name (default: the compute's or AKS cluster's). */
  region?: string;
  /** How long the rollout may take before it is undone. */
  timeoutMs?: number;
}

export interface DeployRequest {
  name: string;
  /** The store's image, `name[:version]`. */
  image: string;
  target: TargetKind;
  port?: number;
  restPort?: number;
  replicas?: number;
  authEnabled?: boolean;
  tls?: TlsOption;
  allowPlaintext?: boolean;
  description?: string;
  /** Container only. */
  network?: 'bridge' | 'host';
  /** Kubernetes only. */
  kubernetes?: KubernetesDeployRequest;
}

/** The CLI flags a request sets (what the option rules judge). */
export function flagsOf(request: DeployRequest): string[] {
  const k = request.kubernetes ?? {};
  const flags: Array<[string, unknown]> = [
    ['--port', request.port],
    ['--rest-port', request.restPort],
    ['--network', request.network],
    ['--dns-label', k.dnsLabel],
    ['--tls-server-name', k.tlsServerName],
    ['--context', k.context],
    ['--kubeconfig', k.kubeconfig],
    ['--aks-cluster', k.aks],
    ['--registry', k.registry],
    ['--image-ref', k.imageRef],
    ['--autoscale', k.autoscale],
    ['--compute', k.compute],
    ['--location', k.region],
    ['--timeout', k.timeoutMs],
  ];
  return flags.filter(([, v]) => v !== undefined && v !== false).map(([f]) => f);
}

/** Deploys `request` to its target and returns the service once it serves; on failure or cancel, nothing is left. */
export async function deployService(deps: ServiceDeps, request: DeployRequest): Promise<Service> {
  checkDeployFlags(request.target, flagsOf(request));
  const authEnabled = request.authEnabled ?? true;
  const tls = request.tls ?? 'none';
  const warning = checkPlaintext(
    request.target,
    { name: request.name, authEnabled, tls: tls !== 'none' },
    request.allowPlaintext,
  );
  if (warning) deps.warn?.(warning);
  const { store, workspace } = deps;
  switch (request.target) {
    case 'local': {
      const { service } = await deployLocalService(
        store,
        workspace,
        request.name,
        request.image,
        {
          port: request.port,
          restPort: request.restPort,
          replicas: request.replicas,
          authEnabled,
          tls,
          description: request.description,
        },
        { client: deps.hostClient, host: deps.host, progress: deps.progress, cancel: deps.cancel },
      );
      return service;
    }
    case 'container': {
      deps.progress?.report({ message: `starting ${request.replicas ?? 1} container(s) of ${request.name}` });
      const { service } = await deployContainerService(store, workspace, request.name, request.image, {
        port: request.port,
        replicas: request.replicas,
        authEnabled,
        network: request.network,
        description: request.description,
        tls,
      });
      return service;
    }
    case 'kubernetes':
      return deployToCluster(deps, request, authEnabled, tls);
  }
}

async function deployToCluster(
  deps: ServiceDeps,
  request: DeployRequest,
  authEnabled: boolean,
  tls: TlsOption,
): Promise<Service> {
  const k = request.kubernetes ?? {};
  const lib = await azureLib();
  const kubeDeps = await kubeDepsOf(deps);
  if (k.kubeconfig) kubeDeps.kubeconfigPath = k.kubeconfig;
  // The cluster deploy waits for the rollout (progress, cancel) and undoes everything it applied on failure; a
  // self-signed certificate is issued there, for the load balancer's address, the DNS label's name or the server name.
  await lib.deployKubernetesService(
    deps.store,
    deps.workspace,
    {
      name: request.name,
      image: request.image,
      imageRef: k.imageRef,
      registry: k.registry,
      context: k.aks ? undefined : k.context,
      namespace: k.namespace,
      aks: k.aks,
      subscriptionId: k.subscriptionId,
      replicas: request.replicas,
      autoscale: k.autoscale,
      authEnabled,
      tls,
      description: request.description,
      dnsLabel: k.dnsLabel,
      tlsServerName: k.tlsServerName,
      compute: k.compute,
      region: k.region,
      timeoutMs: k.timeoutMs,
      allowPlaintext: request.allowPlaintext,
    },
    kubeDeps,
  );
  const service = (await deps.store.read(deps.workspace)).services.find((s) => s.name === request.name);
  if (!service) throw new AccelError('NotFound', `Service "${request.name}" was deleted meanwhile.`);
  return service;
}

/** Where and how to score `service`: its target's address, TLS, server name and certificate to trust. */
export async function scoringTarget(deps: ServiceDeps, service: Service): Promise<RemoteTarget> {
  const address = await targetFor(service, deps).address(service);
  if (address.pending || !address.host)
    throw new AccelError(
      'Unavailable',
      `Service "${service.name}" has no address yet: ${address.pending ?? 'unknown'}.`,
    );
  return {
    address: address.host,
    port: address.port,
    useSsl: address.useSsl,
    serverName: address.serverName,
    caPem: address.caPem,
    serviceName: service.name,
  };
}
