// Which deploy and update options apply to which target. An option that does not apply is refused with the reason,
// never ignored; auth on without TLS to an address off this machine is refused unless plain text is allowed
// explicitly, because the keys would then cross the network unencrypted.
import { AccelError } from '../domain/errors';
import type { Service } from '../domain/types';

export type TargetKind = Service['target'];
export const TARGETS: readonly TargetKind[] = ['local', 'container', 'kubernetes'];

/** Options by the CLI flag that gives them (the extension's wizard offers only the ones that apply). */
const ONLY: Record<string, { targets: TargetKind[]; why: string }> = {
  '--port': {
    targets: ['local', 'container'],
    why: 'a Kubernetes service listens on 80 (plain) or 443 (TLS) of its load balancer',
  },
  '--rest-port': { targets: ['local'], why: 'only the local emulator serves the REST API next to gRPC' },
  '--network': { targets: ['container'], why: 'it chooses how a container engine publishes the ports' },
  '--dns-label': {
    targets: ['kubernetes'],
    why: 'it names an Azure load balancer (<label>.<region>.cloudapp.azure.com)',
  },
  '--tls-server-name': {
    targets: ['kubernetes'],
    why: 'local and container services are reached as localhost, which their certificate names',
  },
  '--context': { targets: ['kubernetes'], why: 'it picks a kubeconfig context' },
  '--timeout': { targets: ['kubernetes'], why: 'it bounds the rollout of a cluster deploy' },
  '--location': { targets: ['kubernetes'], why: 'it gives the region of a --dns-label name' },
  '--compute': { targets: ['kubernetes'], why: 'it names an AKS compute to schedule the pods on' },
  '--namespace': { targets: ['kubernetes'], why: 'it picks a Kubernetes namespace' },
  '--kubeconfig': { targets: ['kubernetes'], why: 'it names the kubeconfig of a cluster' },
  '--aks-cluster': { targets: ['kubernetes'], why: 'it names an AKS cluster' },
  '--resource-group': { targets: ['kubernetes'], why: 'it locates an AKS cluster' },
  '--subscription': { targets: ['kubernetes'], why: 'it locates an AKS cluster or a registry' },
  '--registry': { targets: ['kubernetes'], why: 'a cluster pulls its image from a registry' },
  '--image-ref': { targets: ['kubernetes'], why: 'a cluster pulls its image from a registry' },
  '--autoscale': { targets: ['kubernetes'], why: 'only a cluster scales with a HorizontalPodAutoscaler' },
  '--min': { targets: ['kubernetes'], why: 'only a cluster autoscales' },
  '--max': { targets: ['kubernetes'], why: 'only a cluster autoscales' },
  '--target-utilization': { targets: ['kubernetes'], why: 'only a cluster autoscales' },
};

/** What an update may change in place, per target (the rest needs a delete and a new deploy). */
const IN_PLACE =
  'a container service changes only --replicas in place (and its TLS: --self-signed, --ssl-cert/--ssl-key, --no-tls)';
const UPDATE_ONLY: Record<string, { targets: TargetKind[]; why: string }> = {
  '--image': { targets: ['local', 'kubernetes'], why: IN_PLACE },
  '--auth': { targets: ['local', 'kubernetes'], why: IN_PLACE },
  '--no-auth': { targets: ['local', 'kubernetes'], why: IN_PLACE },
  '--description': { targets: ['local', 'kubernetes'], why: IN_PLACE },
  '--image-ref': ONLY['--image-ref'],
  '--registry': ONLY['--registry'],
  '--autoscale': ONLY['--autoscale'],
  '--tls-server-name': ONLY['--tls-server-name'],
  '--dns-label': ONLY['--dns-label'],
  '--timeout': ONLY['--timeout'],
  '--location': ONLY['--location'],
};

function refuse(flag: string, target: TargetKind, why: string, verb: 'deploy' | 'update', name?: string): never {
  const where = { local: 'the local emulator', container: 'a container service', kubernetes: 'Kubernetes' }[target];
  const hint =
    verb === 'update' && name
      ? ` To change it, delete the service (accel service delete ${name}) and deploy it again.`
      : ' Leave it out, or pick the target it belongs to with --target.';
  throw new AccelError('InvalidArgument', `${flag} does not apply to ${where}: ${why}.${hint}`);
}

/** Refuses the given deploy flags that do not apply to `target`. */
export function checkDeployFlags(target: TargetKind, given: readonly string[]): void {
  if (!TARGETS.includes(target))
    throw new AccelError('InvalidArgument', `--target ${target} is not a target. Use local, container or kubernetes.`);
  for (const flag of given) {
    const rule = ONLY[flag];
    if (rule && !rule.targets.includes(target)) refuse(flag, target, rule.why, 'deploy');
  }
}

/** Refuses the given update flags that `service`'s target cannot change in place. */
export function checkUpdateFlags(service: Pick<Service, 'name' | 'target'>, given: readonly string[]): void {
  for (const flag of given) {
    const rule = UPDATE_ONLY[flag] ?? ONLY[flag];
    if (rule && !rule.targets.includes(service.target)) refuse(flag, service.target, rule.why, 'update', service.name);
  }
}

export type TlsChoice = 'none' | 'self-signed' | { certFile: string; keyFile: string };

/** The TLS choice from --ssl-cert/--ssl-key, --self-signed and --no-tls; undefined = not given (update: unchanged). */
export function tlsChoice(opts: {
  sslCert?: string;
  sslKey?: string;
  selfSigned?: boolean;
  noTls?: boolean;
}): TlsChoice | undefined {
  const given = [
    opts.selfSigned && '--self-signed',
    (opts.sslCert || opts.sslKey) && '--ssl-cert/--ssl-key',
    opts.noTls && '--no-tls',
  ].filter(Boolean);
  if (given.length > 1)
    throw new AccelError(
      'InvalidArgument',
      `Give one of ${given.join(', ')}, not several: each sets the TLS of the service.`,
    );
  if (!!opts.sslCert !== !!opts.sslKey)
    throw new AccelError(
      'InvalidArgument',
      'TLS needs both --ssl-cert <file> and --ssl-key <file> (PEM), or use --self-signed.',
    );
  if (opts.sslCert && opts.sslKey) return { certFile: opts.sslCert, keyFile: opts.sslKey };
  if (opts.selfSigned) return 'self-signed';
  if (opts.noTls) return 'none';
  return undefined;
}

/** True for an address that never leaves this machine. */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/**
 * Auth on and TLS off, served where the network reaches it: refused unless `allowPlaintext`. Returns the warning to
 * show when it is allowed (undefined when nothing crosses the network in plain text).
 */
export function checkPlaintext(
  target: TargetKind,
  result: { name: string; authEnabled: boolean; tls: boolean },
  allowPlaintext: boolean | undefined,
): string | undefined {
  // Local services listen on 127.0.0.1 and container services are scored through localhost ports; a cluster's load
  // balancer is an address on the network.
  if (target !== 'kubernetes' || !result.authEnabled || result.tls) return undefined;
  const warning = `Service "${result.name}" would take keys over plain text on its load balancer: every client would send its key unencrypted across the network, where anyone on the path can read and reuse it.`;
  if (!allowPlaintext)
    throw new AccelError(
      'InvalidArgument',
      `${warning} Turn TLS on (--self-signed, or --ssl-cert with --ssl-key; add --dns-label for a name a real certificate can match), or accept the risk with --allow-plaintext.`,
    );
  return `Warning: ${warning}`;
}
