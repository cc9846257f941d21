// The service verbs for `--target container` services (a built image run by the local podman or docker):
// service.ts routes here when the named service is a container service.
import { AccelError } from '../../domain/errors';
import { findService, getServiceKeys, scoringUri, type KeyName, type TlsOption } from '../../core/services';
import type { Service } from '../../domain/types';
import {
  containerServiceLogs,
  containerStates,
  deleteContainerService,
  deployContainerService,
  regenerateContainerKey,
  scaleContainerService,
  type ContainerState,
} from '../../container/containerServices';
import type { CliContext } from '../context';
import { printJson, printLine } from '../output';

export async function isContainerService(ctx: CliContext, name: string): Promise<boolean> {
  const state = await ctx.store.read(await ctx.workspace());
  return state.services.some((s) => s.name === name && s.target === 'container');
}

function summary(containers: ContainerState[]): string {
  if (!containers.length) return 'no containers';
  // Without systemd, podman never runs the health timer and reports "starting" for good: only "unhealthy" counts against.
  const healthy = containers.filter((c) => c.state === 'running' && c.health !== 'unhealthy').length;
  return healthy === containers.length
    ? 'Running'
    : `${healthy} of ${containers.length} running (${containers.map((c) => `${c.name} ${c.state}${c.health ? `/${c.health}` : ''}`).join(', ')})`;
}

function view(workspace: string, service: Service, containers: ContainerState[]) {
  return {
    name: service.name,
    workspace,
    imageId: service.imageId,
    target: service.target,
    scoringUri: scoringUri(service),
    imageLocation: service.container?.location,
    engine: service.container?.engine,
    network: service.container?.network,
    port: service.port,
    replicas: service.replicas,
    authEnabled: service.authEnabled,
    state: summary(containers),
    containers: containers.map((c) => ({
      ...c,
      scoringUri: service.tls ? `grpcs://localhost:${c.port}` : `grpc://127.0.0.1:${c.port}`,
    })),
    tls: service.tls ? { selfSigned: service.tls.selfSigned } : null,
    description: service.description,
    createdTime: service.createdTime,
    updatedTime: service.updatedTime,
  };
}

function print(v: ReturnType<typeof view>): void {
  printLine(`${v.name}  ${v.state}  (container, ${v.engine})`);
  printLine(`  scoring URI  ${v.scoringUri}`);
  printLine(`  image        ${v.imageId} as ${v.imageLocation}`);
  printLine(
    `  replicas     ${v.replicas}: ${v.containers.map((c) => `${c.name} on port ${c.port} ${c.state}${c.health ? `/${c.health}` : ''}`).join('; ')}`,
  );
  printLine(`  auth         ${v.authEnabled ? `on (keys: accel service keys ${v.name})` : 'off'}`);
  printLine(
    `  TLS          ${v.tls ? `${v.tls.selfSigned ? 'self-signed certificate for localhost' : 'certificate from files'} (mounted read-only)` : 'off'}`,
  );
}

export interface ContainerDeployCliOptions {
  image: string;
  port?: number;
  replicas: number;
  auth: boolean;
  network?: string;
  description?: string;
  sslCert?: string;
  sslKey?: string;
  selfSigned?: boolean;
  restPort?: string;
}

export async function deployContainer(ctx: CliContext, name: string, opts: ContainerDeployCliOptions): Promise<void> {
  if (opts.selfSigned && (opts.sslCert || opts.sslKey))
    throw new AccelError('InvalidArgument', 'Give either --self-signed or --ssl-cert with --ssl-key, not both.');
  if (!!opts.sslCert !== !!opts.sslKey)
    throw new AccelError(
      'InvalidArgument',
      'TLS needs both --ssl-cert <file> and --ssl-key <file> (PEM), or use --self-signed.',
    );
  const tls: TlsOption = opts.selfSigned
    ? 'self-signed'
    : opts.sslCert && opts.sslKey
      ? { certFile: opts.sslCert, keyFile: opts.sslKey }
      : 'none';
  if (opts.restPort !== undefined)
    throw new AccelError('InvalidArgument', '--rest-port is not available for --target container. Leave it out.');
  if (opts.network !== undefined && opts.network !== 'bridge' && opts.network !== 'host')
    throw new AccelError(
      'InvalidArgument',
      `--network ${opts.network} is not valid. Use bridge (ports published) or host.`,
    );
  const workspace = await ctx.workspace();
  if (!ctx.json) process.stderr.write(`Deploying ${name} from ${opts.image} as a container ...\n`);
  const { service, containers } = await deployContainerService(ctx.store, workspace, name, opts.image, {
    port: opts.port,
    replicas: opts.replicas,
    authEnabled: opts.auth,
    network: opts.network as 'bridge' | 'host' | undefined,
    description: opts.description,
    tls,
  });
  const v = view(workspace, service, containers);
  if (ctx.json) printJson(v);
  else {
    print(v);
    printLine(`\nScore a photo: accel score ${name} <image file>`);
  }
}

export type ContainerVerb =
  | { verb: 'show' }
  | { verb: 'keys' }
  | { verb: 'regen-key'; which: KeyName }
  | { verb: 'update'; replicas?: number; image?: string; auth?: boolean; description?: string }
  | { verb: 'logs'; lines: number }
  | { verb: 'delete' };

export async function runContainerVerb(ctx: CliContext, name: string, request: ContainerVerb): Promise<void> {
  const workspace = await ctx.workspace();
  switch (request.verb) {
    case 'show': {
      const service = findService(await ctx.store.read(workspace), name);
      const v = view(workspace, service, await containerStates(service));
      if (ctx.json) printJson(v);
      else print(v);
      return;
    }
    case 'keys': {
      const keys = await getServiceKeys(ctx.store, workspace, name);
      if (ctx.json) printJson(keys);
      else printLine(`primary    ${keys.primaryKey}\nsecondary  ${keys.secondaryKey}`);
      return;
    }
    case 'regen-key': {
      const keys = await regenerateContainerKey(ctx.store, workspace, name, request.which);
      if (ctx.json) printJson(keys);
      else
        printLine(
          `New ${request.which} key for ${name}: ${request.which === 'primary' ? keys.primaryKey : keys.secondaryKey}\nThe containers were restarted with it; the old ${request.which} key no longer works.`,
        );
      return;
    }
    case 'update': {
      if (request.image !== undefined || request.auth !== undefined || request.description !== undefined) {
        throw new AccelError(
          'InvalidArgument',
          `A container service changes only --replicas in place. To run another image or change auth, delete it (accel service delete ${name}) and deploy again.`,
        );
      }
      if (request.replicas === undefined)
        throw new AccelError('InvalidArgument', `Nothing to update for service "${name}". Give --replicas.`);
      const { service, containers } = await scaleContainerService(ctx.store, workspace, name, request.replicas);
      const v = view(workspace, service, containers);
      if (ctx.json) printJson(v);
      else print(v);
      return;
    }
    case 'logs': {
      const logs = await containerServiceLogs(ctx.store, workspace, name, request.lines);
      if (ctx.json) printJson(logs);
      else for (const l of logs) printLine(`==> container ${l.container} <==\n${l.log}`);
      return;
    }
    case 'delete': {
      const deleted = await deleteContainerService(ctx.store, workspace, name);
      if (ctx.json) printJson({ deleted: deleted.name, containers: deleted.container?.containers.map((c) => c.name) });
      else
        printLine(
          `Deleted service ${deleted.name} (containers ${deleted.container?.containers.map((c) => c.name).join(', ')} removed).`,
        );
      return;
    }
  }
}
