// One service model for every target: a local emulator service, a container service and a Kubernetes service each
// answer the same questions (live state, scoring address, keys) and take the same verbs (regenerate a key, update,
// logs, delete). The CLI and the extension both go through `targetFor(service)` and `deployService(...)`, so a
// verb behaves the same in both faces; the adapters (local/container/kubernetesTarget.ts) map it to the target.
import type { KubeDeps } from '../azure/kubernetesServices';
import type { KeyName, ServiceKeysPlain, TlsOption } from '../core/services';
import type { CancellationSignal, ProgressReporter, WorkspaceStore } from '../domain/ports';
import type { Service } from '../domain/types';
import type { HostClient, StartOptions } from '../emulator/host/hostControl';

export type LiveStateKind = 'running' | 'starting' | 'failed' | 'stopped' | 'missing';

/** What runs now, asked of the target (the emulator host, the container engine, the cluster). */
export interface LiveState {
  state: LiveStateKind;
  /** One line for a list or a tree: "running", "2/3 ready", "stopped (emulator not running)". */
  summary: string;
  ready?: number;
  desired?: number;
  error?: string;
  /** Requests served (local services only: the emulator counts them). */
  requests?: { total: number; errors: number };
  /** Where it runs: devices of the emulator, containers, pods. */
  placement?: string[];
  /** Pod events that explain a state (Kubernetes). */
  events?: string[];
  /** Where clients reach it, when the target says so (a cluster's load balancer). */
  uri?: string;
  /** The containers or pods that serve it, one per replica. */
  units?: Array<{ name: string; port?: number; state: string; health?: string; exitCode?: number }>;
}

/** How a client reaches the service. */
export interface ServiceAddress {
  uri: string;
  host: string;
  port: number;
  useSsl: boolean;
  /** The name to check the certificate against when it differs from `host`. */
  serverName?: string;
  /** The PEM certificate to trust (self-signed or the service's own). */
  caPem?: string;
  /** Why there is no address yet (a load balancer still being assigned). */
  pending?: string;
}

export interface RegeneratedKey extends ServiceKeysPlain {
  /** Whether the running service already takes the new key, or will when it starts (for scripts: `--json`). */
  effect: 'applied' | 'host-not-running' | 'service-not-running';
  /** The same, in one sentence for people. */
  message: string;
}

export interface ServiceUpdate {
  image?: string;
  replicas?: number;
  authEnabled?: boolean;
  description?: string;
  /** Enable, rotate or drop ('none') TLS. */
  tls?: TlsOption;
  allowPlaintext?: boolean;
  /** Kubernetes only. */
  imageRef?: string;
  registry?: string;
  subscriptionId?: string;
  autoscale?: boolean | { min?: number; max?: number; targetUtilization?: number };
  tlsServerName?: string;
  dnsLabel?: string;
  region?: string;
  /** How long a cluster rollout may take before it is undone. */
  timeoutMs?: number;
}

export interface LogChunk {
  /** The log file, container or pod it came from. */
  source: string;
  text: string;
}

export interface ServiceTarget {
  readonly kind: Service['target'];
  state(service: Service): Promise<LiveState>;
  address(service: Service): Promise<ServiceAddress>;
  keys(service: Service): Promise<ServiceKeysPlain>;
  regenerateKey(service: Service, which: KeyName): Promise<RegeneratedKey>;
  update(service: Service, update: ServiceUpdate): Promise<Service>;
  logs(service: Service, lines: number): Promise<LogChunk[]>;
  /** Removes everything the target created (host service, containers, cluster objects), then the record. */
  delete(service: Service): Promise<{ removed: string[] }>;
}

/** What the adapters need from the face that uses them. */
export interface ServiceDeps {
  store: WorkspaceStore;
  workspace: string;
  /** The running emulator host (the extension's supervised one); default: started on demand. */
  hostClient?: () => Promise<HostClient>;
  host?: StartOptions;
  /** Azure sign-in and kubeconfig for Kubernetes services; default: the kubeconfig recorded with the service. */
  kube?: () => Promise<KubeDeps>;
  progress?: ProgressReporter;
  cancel?: CancellationSignal;
  /** Where to say a warning (plain text allowed on purpose). */
  warn?: (message: string) => void;
}
