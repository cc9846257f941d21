// `accel service deploy|list|show|keys|regen-key|update|logs|delete` — desired state in the store, run by the
// home's emulator host (started on demand).
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { AccelError } from '../../domain/errors';
import type { WorkspaceStore } from '../../domain/ports';
import {
  getService,
  getServiceKeys,
  listServices,
  readTls,
  scoringUri,
  type KeyName,
  type TlsOption,
} from '../../core/services';
import type { Service } from '../../domain/types';
import { findHost, readLogTail, serviceLogPath, type LiveService } from '../../emulator/host/hostControl';
import {
  deleteLocalService,
  deployLocalService,
  regenerateLocalKey,
  updateLocalService,
} from '../../emulator/host/localServices';
import { action, nounCommand } from '../context';
import { deployToKubernetes, isKubernetesService, runKubernetesVerb, type KubernetesDeployCliOptions } from './azure';
import { deployContainer, isContainerService, runContainerVerb } from './containerService';
import { printJson, printLine, printTable } from '../output';

function intOption(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new AccelError('InvalidArgument', `${flag} ${value} is not a whole number. Give e.g. ${flag} 2.`);
  return n;
}

/** What `show --json` prints: the desired state from the store plus the live state from the host. */
export function serviceView(
  workspace: string,
  service: Service,
  live: LiveService | undefined,
  hostRunning: boolean,
  certificate?: string,
) {
  // A Kubernetes service's live state is in its cluster, which `service show` asks; the local host knows nothing of it.
  const k8s = service.kubernetes;
  const localState =
    service.target === 'container'
      ? `container (${service.container?.engine}): accel service show ${service.name}`
      : (live?.state ?? (hostRunning ? 'Stopped' : 'Stopped (emulator not running)'));
  return {
    name: service.name,
    workspace,
    imageId: service.imageId,
    target: service.target,
    scoringUri: k8s
      ? `kubernetes: ${k8s.context}/${k8s.namespace} (accel service show ${service.name})`
      : scoringUri(service),
    port: service.port,
    restPort: service.restPort,
    replicas: service.replicas,
    authEnabled: service.authEnabled,
    /** The PEM certificate clients must trust (public). */
    tls: service.tls ? { selfSigned: service.tls.selfSigned, certificate } : null,
    description: service.description,
    desiredState: 'Deployed',
    state: k8s ? `Deployed to Kubernetes (${k8s.context}/${k8s.namespace})` : localState,
    error: live?.error,
    devices: live?.devices ?? [],
    requests: live?.requests ?? 0,
    errors: live?.errors ?? 0,
    createdTime: service.createdTime,
    updatedTime: service.updatedTime,
  };
}

/** The live state of the workspace's services (a service of the same name from another workspace is not ours). */
async function liveStates(
  store: WorkspaceStore,
  workspace: string,
): Promise<{ running: boolean; byName: Map<string, LiveService> }> {
  const client = await findHost(store.home);
  if (!client) return { running: false, byName: new Map() };
  const status = await client.status();
  return {
    running: true,
    byName: new Map(status.services.filter((s) => s.workspace === workspace).map((s) => [s.name, s])),
  };
}

function printService(print: (s: string) => void, view: ReturnType<typeof serviceView>): void {
  print(`${view.name}  ${view.state}${view.error ? ` (${view.error})` : ''}`);
  print(
    `  scoring URI  ${view.scoringUri}${view.restPort ? `   REST http://127.0.0.1:${view.restPort}/v1/models/${view.name}:predict` : ''}`,
  );
  print(`  image        ${view.imageId}`);
  print(
    `  replicas     ${view.replicas}${view.devices.length ? ` on device${view.devices.length > 1 ? 's' : ''} ${view.devices.join(', ')}` : ''}`,
  );
  print(`  auth         ${view.authEnabled ? 'on (keys: accel service keys ' + view.name + ')' : 'off'}`);
  print(
    `  TLS          ${view.tls ? (view.tls.selfSigned ? 'self-signed certificate for localhost' : 'certificate from files') : 'off'}`,
  );
  print(`  requests     ${view.requests} (${view.errors} errors)`);
}

export function register(program: Command): void {
  const service = nounCommand(program, 'service', 'Deploy images as services on the local accelerator emulator');

  service
    .command('deploy <name>')
    .description('Deploy an image as a service (gRPC, TensorFlow Serving Predict API) and wait until it runs')
    .requiredOption('--image <name[:version]>', 'the image to deploy')
    .option('--port <n>', 'gRPC port (default: a free port, kept across restarts)')
    .option('--rest-port <n>', 'also serve the TF Serving REST API on this port (0 = a free port)')
    .option('--replicas <n>', 'replicas; each occupies one emulated accelerator device', '1')
    .option('--no-auth', 'serve without keys (auth is on by default)')
    .option('--ssl-cert <file>', 'PEM certificate (full chain) to serve TLS with')
    .option('--ssl-key <file>', 'PEM private key of --ssl-cert')
    .option('--self-signed', 'serve TLS with a generated self-signed certificate for localhost')
    .option('--description <text>', 'description')
    .option('--network <mode>', '[container] bridge (publish the ports, default) or host (share the host network)')
    .action(
      action(
        async (
          ctx,
          name: string,
          opts: {
            image: string;
            port?: string;
            restPort?: string;
            replicas: string;
            auth: boolean;
            sslCert?: string;
            sslKey?: string;
            selfSigned?: boolean;
            description?: string;
            network?: string;
          },
        ) => {
          if ((opts as { target?: string }).target === 'kubernetes')
            return deployToKubernetes(ctx, name, opts as unknown as KubernetesDeployCliOptions);
          if ((opts as { target?: string }).target === 'container') {
            return deployContainer(ctx, name, {
              ...opts,
              port: opts.port === undefined ? undefined : intOption(opts.port, '--port'),
              replicas: intOption(opts.replicas, '--replicas'),
            });
          }
          const workspace = await ctx.workspace();
          let tls: TlsOption = 'none';
          if (opts.selfSigned && (opts.sslCert || opts.sslKey))
            throw new AccelError(
              'InvalidArgument',
              'Give either --self-signed or --ssl-cert with --ssl-key, not both.',
            );
          if (!!opts.sslCert !== !!opts.sslKey)
            throw new AccelError(
              'InvalidArgument',
              'TLS needs both --ssl-cert <file> and --ssl-key <file> (PEM), or use --self-signed.',
            );
          if (opts.selfSigned) tls = 'self-signed';
          else if (opts.sslCert && opts.sslKey) tls = { certFile: opts.sslCert, keyFile: opts.sslKey };
          if (!ctx.json) process.stderr.write(`Deploying ${name} from ${opts.image} ...\n`);
          const { service: deployed, live } = await deployLocalService(ctx.store, workspace, name, opts.image, {
            port: opts.port === undefined ? undefined : intOption(opts.port, '--port'),
            restPort: opts.restPort === undefined ? undefined : intOption(opts.restPort, '--rest-port'),
            replicas: intOption(opts.replicas, '--replicas'),
            authEnabled: opts.auth,
            tls,
            description: opts.description,
          });
          const view = serviceView(workspace, deployed, live, true);
          if (ctx.json) printJson(view);
          else {
            printService(printLine, view);
            printLine(`\nScore a photo: accel score ${name} <image file>`);
          }
        },
      ),
    );

  service
    .command('list')
    .description('List services with their desired and live state')
    .action(
      action(async (ctx) => {
        const workspace = await ctx.workspace();
        const services = await listServices(ctx.store, workspace);
        const live = await liveStates(ctx.store, workspace);
        const views = services.map((s) => serviceView(workspace, s, live.byName.get(s.name), live.running));
        if (ctx.json) printJson(views);
        else {
          printTable(
            views,
            [
              { header: 'SERVICE', value: (v) => v.name },
              { header: 'TARGET', value: (v) => v.target },
              { header: 'STATE', value: (v) => v.state },
              { header: 'SCORING URI', value: (v) => v.scoringUri },
              { header: 'IMAGE', value: (v) => v.imageId },
              { header: 'REPLICAS', value: (v) => v.replicas },
              { header: 'DEVICES', value: (v) => v.devices },
              { header: 'AUTH', value: (v) => (v.authEnabled ? 'on' : 'off') },
            ],
            'No services. Deploy one with `accel service deploy <name> --image <name[:version]>`.',
          );
        }
      }),
    );

  service
    .command('show <name>')
    .description('Show a service: scoring URI, state (desired and live), replicas, devices')
    .action(
      action(async (ctx, name: string) => {
        if (await isKubernetesService(ctx, name)) return runKubernetesVerb(ctx, name, { verb: 'show' });
        if (await isContainerService(ctx, name)) return runContainerVerb(ctx, name, { verb: 'show' });
        const workspace = await ctx.workspace();
        const found = await getService(ctx.store, workspace, name);
        const live = await liveStates(ctx.store, workspace);
        const view = serviceView(
          workspace,
          found,
          live.byName.get(name),
          live.running,
          readTls(ctx.store, workspace, found)?.certPem,
        );
        if (ctx.json) printJson(view);
        else printService(printLine, view);
      }),
    );

  service
    .command('keys <name>')
    .description('Print the primary and secondary keys of a service')
    .action(
      action(async (ctx, name: string) => {
        if (await isKubernetesService(ctx, name)) return runKubernetesVerb(ctx, name, { verb: 'keys' });
        if (await isContainerService(ctx, name)) return runContainerVerb(ctx, name, { verb: 'keys' });
        const workspace = await ctx.workspace();
        const keys = await getServiceKeys(ctx.store, workspace, name);
        if (ctx.json) printJson(keys);
        else printLine(`primary    ${keys.primaryKey}\nsecondary  ${keys.secondaryKey}`);
      }),
    );

  service
    .command('regen-key <name> <which>')
    .description('Regenerate the primary or secondary key; takes effect at once, without restarting the service')
    .action(
      action(async (ctx, name: string, which: string) => {
        const workspace = await ctx.workspace();
        const normalized = which.toLowerCase();
        if (normalized !== 'primary' && normalized !== 'secondary')
          throw new AccelError('InvalidArgument', `"${which}" is not a key name. Use primary or secondary.`);
        if (await isKubernetesService(ctx, name))
          return runKubernetesVerb(ctx, name, { verb: 'regen-key', which: normalized as 'primary' | 'secondary' });
        if (await isContainerService(ctx, name))
          return runContainerVerb(ctx, name, { verb: 'regen-key', which: normalized as KeyName });
        const keys = await regenerateLocalKey(ctx.store, workspace, name, normalized as KeyName);
        if (ctx.json) return printJson(keys);
        const effect = {
          applied: `The running service accepts it now and refuses the old ${normalized} key; the other key is unchanged.`,
          'host-not-running': `Saved; the emulator is not running, so it takes effect when the service starts (the old ${normalized} key will not work then). The other key is unchanged.`,
          'service-not-running': `Saved; the service is not running in the emulator (see \`accel service show ${name}\`), so it takes effect when it starts. The other key is unchanged.`,
        }[keys.effect];
        printLine(
          `New ${normalized} key for ${name}: ${normalized === 'primary' ? keys.primaryKey : keys.secondaryKey}\n${effect}`,
        );
      }),
    );

  service
    .command('update <name>')
    .description('Change the image, replicas or auth of a service (values not given stay as they are)')
    .option('--image <name[:version]>', 'deploy this image instead')
    .option('--replicas <n>', 'replicas')
    .option('--auth', 'require keys')
    .option('--no-auth', 'serve without keys')
    .option('--description <text>', 'description')
    .action(
      action(
        async (
          ctx,
          name: string,
          opts: { image?: string; replicas?: string; auth?: boolean; description?: string },
        ) => {
          if (await isKubernetesService(ctx, name))
            return runKubernetesVerb(ctx, name, {
              verb: 'update',
              ...(opts as object),
              replicas: opts.replicas === undefined ? undefined : intOption(opts.replicas, '--replicas'),
            });
          if (await isContainerService(ctx, name))
            return runContainerVerb(ctx, name, {
              verb: 'update',
              ...opts,
              replicas: opts.replicas === undefined ? undefined : intOption(opts.replicas, '--replicas'),
            });
          const workspace = await ctx.workspace();
          const { service: updated, live } = await updateLocalService(ctx.store, workspace, name, {
            imageRef: opts.image,
            replicas: opts.replicas === undefined ? undefined : intOption(opts.replicas, '--replicas'),
            authEnabled: opts.auth,
            description: opts.description,
          });
          const view = serviceView(workspace, updated, live, true);
          if (ctx.json) printJson(view);
          else printService(printLine, view);
        },
      ),
    );

  service
    .command('logs <name>')
    .description('Print the log of a service')
    .option('--lines <n>', 'lines from the end', '200')
    .action(
      action(async (ctx, name: string, opts: { lines: string }) => {
        if (await isKubernetesService(ctx, name))
          return runKubernetesVerb(ctx, name, { verb: 'logs', tail: intOption(opts.lines, '--lines') });
        if (await isContainerService(ctx, name))
          return runContainerVerb(ctx, name, { verb: 'logs', lines: intOption(opts.lines, '--lines') });
        const workspace = await ctx.workspace();
        await getService(ctx.store, workspace, name);
        const file = serviceLogPath(ctx.store.home, name);
        const text = fs.existsSync(file) ? readLogTail(file, intOption(opts.lines, '--lines')) : '';
        if (ctx.json) printJson({ service: name, file, log: text });
        else
          process.stdout.write(
            text || `(no log yet for ${name}: it is written by the emulator once the service starts)\n`,
          );
      }),
    );

  service
    .command('delete <name>')
    .description('Delete a service (stops it and frees its devices and port)')
    .action(
      action(async (ctx, name: string) => {
        if (await isKubernetesService(ctx, name)) return runKubernetesVerb(ctx, name, { verb: 'delete' });
        if (await isContainerService(ctx, name)) return runContainerVerb(ctx, name, { verb: 'delete' });
        const workspace = await ctx.workspace();
        const deleted = await deleteLocalService(ctx.store, workspace, name);
        if (ctx.json) printJson({ deleted: deleted.name });
        else printLine(`Deleted service ${deleted.name}.`);
      }),
    );
}
