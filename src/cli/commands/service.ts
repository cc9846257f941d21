// `accel service deploy|list|show|keys|regen-key|update|logs|delete|score` — the same verbs for every target (the
// local emulator, a container engine, a Kubernetes cluster), all through src/services: the target's adapter answers
// the live state and address and runs the verb. Options that do not apply to a target are refused, never ignored.
import type { Command } from 'commander';
import * as fs from 'node:fs';
import { AccelError } from '../../domain/errors';
import { listServices, readTls, findService, type KeyName } from '../../core/services';
import type { Service } from '../../domain/types';
import type { KubeDeps } from '../../azure/kubernetesServices';
import { startHost, waitForService } from '../../emulator/host/hostControl';
import { ServiceScorer } from '../../scoring/serviceScorer';
import { deployService, scoringTarget, targetFor, type DeployRequest } from '../../services/deployService';
import {
  checkDeployFlags,
  checkPlaintext,
  checkUpdateFlags,
  tlsChoice,
  type TargetKind,
} from '../../services/optionRules';
import type { LiveState, ServiceAddress, ServiceDeps, ServiceUpdate } from '../../services/serviceTargets';
import { action, nounCommand, type CliContext } from '../context';
import { cliArmContext } from './azure';
import { cliProgress, printJson, printLine, printTable } from '../output';

/** `--timeout <seconds>` in milliseconds. */
function timeoutMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new AccelError(
      'InvalidArgument',
      `--timeout ${value} is not valid. Give seconds from 1 to 86400, e.g. --timeout 900.`,
    );
  return Math.round(n * 1000);
}

function intOption(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new AccelError('InvalidArgument', `${flag} ${value} is not a whole number. Give e.g. ${flag} 2.`);
  return n;
}

/** The long flags given on the command line (not defaults), e.g. ['--port', '--no-auth']. */
function givenFlags(command: Command | undefined): string[] {
  if (!command) return [];
  const values = command.opts();
  return command.options
    .filter((o) => command.getOptionValueSource(o.attributeName()) === 'cli')
    .filter((o) => (o.negate ? values[o.attributeName()] === false : values[o.attributeName()] !== false))
    .map((o) => o.long!)
    .filter(Boolean);
}

function serviceDeps(ctx: CliContext, workspace: string, kubeconfig?: string): ServiceDeps {
  return {
    store: ctx.store,
    workspace,
    progress: cliProgress(ctx.json),
    kube: async (): Promise<KubeDeps> => ({
      arm: await cliArmContext(),
      kubeconfigPath: kubeconfig,
      progress: cliProgress(ctx.json),
    }),
    warn: (m) => process.stderr.write(`${m}\n`),
  };
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What `show --json` prints, the same fields for every target (plus the target's own: containers, cluster). */
export function serviceView(
  workspace: string,
  service: Service,
  live: LiveState,
  address: ServiceAddress | undefined,
  certificate?: string,
) {
  const k8s = service.kubernetes;
  return {
    name: service.name,
    workspace,
    target: service.target,
    imageId: service.imageId,
    scoringUri: address?.uri || undefined,
    port: address?.port ?? service.port,
    restPort: service.restPort,
    replicas: service.replicas,
    ready: live.ready,
    desired: live.desired,
    authEnabled: service.authEnabled,
    /** The PEM certificate clients must trust (public). */
    tls: service.tls ? { selfSigned: service.tls.selfSigned, certificate, serverName: address?.serverName } : null,
    description: service.description,
    desiredState: 'Deployed',
    /** Running, Starting, Failed, Stopped or Missing; `status` says it in a line. */
    state:
      live.state === 'stopped' && live.summary !== 'stopped'
        ? `Stopped (emulator not running)`
        : capitalized(live.state),
    status: live.summary,
    error: live.error ?? address?.pending,
    devices: service.target === 'local' ? (live.placement ?? []).map((d) => Number(d.replace('device ', ''))) : [],
    requests: live.requests?.total ?? 0,
    errors: live.requests?.errors ?? 0,
    events: live.events,
    ...(service.container
      ? {
          engine: service.container.engine,
          network: service.container.network,
          imageLocation: service.container.location,
          containers: (live.units ?? []).map((c) => ({
            ...c,
            scoringUri: service.tls ? `grpcs://localhost:${c.port}` : `grpc://127.0.0.1:${c.port}`,
          })),
        }
      : {}),
    ...(k8s
      ? {
          context: k8s.context,
          namespace: k8s.namespace,
          imageRef: k8s.imageRef,
          autoscale: k8s.autoscale,
          pods: live.units,
        }
      : {}),
    createdTime: service.createdTime,
    updatedTime: service.updatedTime,
  };
}

type View = ReturnType<typeof serviceView>;

/** The view of one service: its live state and address asked of its target (a target that cannot answer says why). */
async function viewOf(ctx: CliContext, workspace: string, service: Service, withCertificate = false): Promise<View> {
  const target = targetFor(service, serviceDeps(ctx, workspace));
  const live = await target
    .state(service)
    .catch((e: Error): LiveState => ({ state: 'failed', summary: 'unknown', error: e.message.split('\n')[0] }));
  const address = await target.address(service).catch(() => undefined);
  const certificate = withCertificate ? readTls(ctx.store, workspace, service)?.certPem : undefined;
  return serviceView(workspace, service, live, address, certificate);
}

function printService(v: View): void {
  const where =
    v.target === 'kubernetes'
      ? ` on Kubernetes (${v.context}/${v.namespace})`
      : v.target === 'container'
        ? ` (container, ${v.engine})`
        : '';
  printLine(`${v.name}  ${v.state}${where}${v.error ? ` (${v.error})` : ''}`);
  printLine(
    `  scoring URI  ${v.scoringUri ?? 'pending'}${v.restPort ? `   REST http://127.0.0.1:${v.restPort}/v1/models/${v.name}:predict` : ''}`,
  );
  printLine(
    `  image        ${v.imageId}${v.imageRef ? ` as ${v.imageRef}` : v.imageLocation ? ` as ${v.imageLocation}` : ''}`,
  );
  const placement =
    v.target === 'local'
      ? v.devices.length
        ? ` on device${v.devices.length > 1 ? 's' : ''} ${v.devices.join(', ')}`
        : ''
      : ` (${v.status})`;
  printLine(
    `  replicas     ${v.replicas}${placement}${v.autoscale ? ` (autoscale ${v.autoscale.min}-${v.autoscale.max} at ${v.autoscale.targetUtilization}% CPU)` : ''}`,
  );
  printLine(`  auth         ${v.authEnabled ? 'on (keys: accel service keys ' + v.name + ')' : 'off'}`);
  const tls = v.tls
    ? `${v.tls.selfSigned ? 'self-signed certificate' : 'certificate from files'}${v.tls.serverName ? ` for ${v.tls.serverName}` : v.target === 'kubernetes' ? '' : ' for localhost'}`
    : 'off';
  printLine(`  TLS          ${tls}`);
  if (v.target === 'local') printLine(`  requests     ${v.requests} (${v.errors} errors)`);
  for (const e of v.events ?? []) printLine(`  event        ${e}`);
}

let deployCommand: Command | undefined;
let updateCommand: Command | undefined;

interface DeployCliOptions {
  image: string;
  target?: TargetKind;
  port?: string;
  restPort?: string;
  replicas?: string;
  auth: boolean;
  sslCert?: string;
  sslKey?: string;
  selfSigned?: boolean;
  allowPlaintext?: boolean;
  description?: string;
  network?: string;
  dnsLabel?: string;
  tlsServerName?: string;
  compute?: string;
  location?: string;
  timeout?: string;
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  aksCluster?: string;
  resourceGroup?: string;
  subscription?: string;
  registry?: string;
  imageRef?: string;
  autoscale?: boolean;
  min?: string;
  max?: string;
  targetUtilization?: string;
}

/** The face-neutral request of `accel service deploy`'s options. */
async function deployRequest(name: string, opts: DeployCliOptions, given: string[]): Promise<DeployRequest> {
  const target = opts.target ?? 'local';
  if (opts.network !== undefined && opts.network !== 'bridge' && opts.network !== 'host')
    throw new AccelError(
      'InvalidArgument',
      `--network ${opts.network} is not valid. Use bridge (ports published) or host.`,
    );
  const request: DeployRequest = {
    name,
    image: opts.image,
    target,
    port: intOption(opts.port, '--port'),
    restPort: intOption(opts.restPort, '--rest-port'),
    // On Kubernetes an unset count means autoscale, as on the original service.
    replicas:
      target === 'kubernetes' && !given.includes('--replicas')
        ? undefined
        : intOption(opts.replicas ?? '1', '--replicas'),
    authEnabled: opts.auth,
    tls: tlsChoice(opts) ?? 'none',
    allowPlaintext: opts.allowPlaintext,
    description: opts.description,
    network: opts.network as DeployRequest['network'],
  };
  // Every flag given is judged, including the Kubernetes ones that have defaults (--namespace).
  checkDeployFlags(target, given);
  if (target !== 'kubernetes') return request;
  if (!!opts.aksCluster !== !!opts.resourceGroup)
    throw new AccelError('InvalidArgument', '--aks-cluster needs --resource-group (and the other way round).');
  const autoscaleGiven = opts.autoscale || ['--min', '--max', '--target-utilization'].some((f) => given.includes(f));
  const needsSubscription = !!opts.aksCluster || (!!opts.registry && !opts.imageRef);
  const subscriptionId = needsSubscription
    ? (await (await import('../../azure')).resolveSubscription(await cliArmContext(), opts.subscription)).subscriptionId
    : undefined;
  request.kubernetes = {
    context: opts.context,
    namespace: opts.namespace,
    kubeconfig: opts.kubeconfig,
    aks: opts.aksCluster
      ? { subscriptionId: subscriptionId!, resourceGroup: opts.resourceGroup!, name: opts.aksCluster }
      : undefined,
    subscriptionId,
    imageRef: opts.imageRef,
    registry: opts.registry,
    autoscale: autoscaleGiven
      ? {
          min: intOption(opts.min, '--min'),
          max: intOption(opts.max, '--max'),
          targetUtilization: intOption(opts.targetUtilization, '--target-utilization'),
        }
      : undefined,
    dnsLabel: opts.dnsLabel,
    tlsServerName: opts.tlsServerName,
    compute: opts.compute,
    region: opts.location,
    timeoutMs: timeoutMs(opts.timeout),
  };
  return request;
}

export function register(program: Command): void {
  const service = nounCommand(
    program,
    'service',
    'Deploy images as services on the local emulator, a container engine or a Kubernetes cluster',
  );

  deployCommand = service
    .command('deploy <name>')
    .description('Deploy an image as a service (gRPC, TensorFlow Serving Predict API) and wait until it serves')
    .requiredOption('--image <name[:version]>', 'the image to deploy')
    .option('--port <n>', '[local, container] gRPC port (default: a free port, kept across restarts)')
    .option('--rest-port <n>', '[local] also serve the TF Serving REST API on this port (0 = a free port)')
    .option('--replicas <n>', 'replicas; each occupies one emulated accelerator device', '1')
    .option('--no-auth', 'serve without keys (auth is on by default)')
    .option('--ssl-cert <file>', 'PEM certificate (full chain) to serve TLS with')
    .option('--ssl-key <file>', 'PEM private key of --ssl-cert')
    .option(
      '--self-signed',
      'serve TLS with a generated self-signed certificate (for localhost; on Kubernetes for --tls-server-name)',
    )
    .option('--tls-server-name <name>', '[kubernetes] the name clients verify the certificate against')
    .option('--dns-label <label>', '[kubernetes] Azure load balancer DNS label (<label>.<region>.cloudapp.azure.com)')
    .option('--compute <name>', '[kubernetes] the AKS compute (accel compute create|attach) to run on')
    .option('--allow-plaintext', 'allow keys over plain text to an address off this machine (not recommended)')
    .option('--description <text>', 'description')
    .option('--network <mode>', '[container] bridge (publish the ports, default) or host (share the host network)')
    .action(
      action(async (ctx, name: string, opts: DeployCliOptions) => {
        const workspace = await ctx.workspace();
        const request = await deployRequest(name, opts, givenFlags(deployCommand));
        if (!ctx.json) process.stderr.write(`Deploying ${name} from ${opts.image} (${request.target}) ...\n`);
        const deps = serviceDeps(ctx, workspace, request.kubernetes?.kubeconfig);
        const deployed = await deployService(deps, request);
        const view = await viewOf(ctx, workspace, deployed);
        if (ctx.json) printJson(view);
        else {
          printService(view);
          printLine(`\nScore a photo: accel service score ${name} <image file>`);
        }
      }),
    );

  service
    .command('list')
    .description('List services with their target, desired and live state')
    .action(
      action(async (ctx) => {
        const workspace = await ctx.workspace();
        const views = [];
        for (const s of await listServices(ctx.store, workspace)) views.push(await viewOf(ctx, workspace, s));
        if (ctx.json) printJson(views);
        else {
          printTable(
            views,
            [
              { header: 'SERVICE', value: (v) => v.name },
              { header: 'TARGET', value: (v) => v.target },
              { header: 'STATE', value: (v) => (v.target === 'local' ? v.state : `${v.state} (${v.status})`) },
              { header: 'SCORING URI', value: (v) => v.scoringUri ?? 'pending' },
              { header: 'IMAGE', value: (v) => v.imageId },
              { header: 'REPLICAS', value: (v) => v.replicas },
              { header: 'AUTH', value: (v) => (v.authEnabled ? 'on' : 'off') },
            ],
            'No services. Deploy one with `accel service deploy <name> --image <name[:version]>`.',
          );
        }
      }),
    );

  service
    .command('show <name>')
    .description('Show a service: scoring URI, state (desired and live, from its target), replicas, TLS')
    .action(
      action(async (ctx, name: string) => {
        const workspace = await ctx.workspace();
        const found = findService(await ctx.store.read(workspace), name);
        const view = await viewOf(ctx, workspace, found, true);
        if (ctx.json) printJson(view);
        else printService(view);
      }),
    );

  service
    .command('keys <name>')
    .description('Print the primary and secondary keys of a service')
    .action(
      action(async (ctx, name: string) => {
        const workspace = await ctx.workspace();
        const found = findService(await ctx.store.read(workspace), name);
        const keys = await targetFor(found, serviceDeps(ctx, workspace)).keys(found);
        if (ctx.json) printJson(keys);
        else printLine(`primary    ${keys.primaryKey}\nsecondary  ${keys.secondaryKey}`);
      }),
    );

  service
    .command('regen-key <name> <which>')
    .description('Regenerate the primary or secondary key; the other key keeps working')
    .action(
      action(async (ctx, name: string, which: string) => {
        const normalized = which.toLowerCase();
        if (normalized !== 'primary' && normalized !== 'secondary')
          throw new AccelError('InvalidArgument', `"${which}" is not a key name. Use primary or secondary.`);
        const workspace = await ctx.workspace();
        const found = findService(await ctx.store.read(workspace), name);
        const keys = await targetFor(found, serviceDeps(ctx, workspace)).regenerateKey(found, normalized as KeyName);
        if (ctx.json) return printJson(keys);
        printLine(
          `New ${normalized} key for ${name}: ${normalized === 'primary' ? keys.primaryKey : keys.secondaryKey}\n${keys.message}`,
        );
      }),
    );

  updateCommand = service
    .command('update <name>')
    .description('Change the image, replicas, auth or TLS of a service (values not given stay as they are)')
    .option('--image <name[:version]>', 'deploy this image instead')
    .option('--replicas <n>', 'replicas')
    .option('--auth', 'require keys')
    .option('--no-auth', 'serve without keys')
    .option('--ssl-cert <file>', 'serve TLS with this PEM certificate (enables or rotates TLS)')
    .option('--ssl-key <file>', 'PEM private key of --ssl-cert')
    .option('--self-signed', 'serve TLS with a new self-signed certificate (enables or rotates TLS)')
    .option('--no-tls', 'stop serving TLS')
    .option('--tls-server-name <name>', '[kubernetes] the name clients verify the certificate against')
    .option('--dns-label <label>', '[kubernetes] Azure load balancer DNS label (<label>.<region>.cloudapp.azure.com)')
    .option('--allow-plaintext', 'allow keys over plain text to an address off this machine (not recommended)')
    .option('--description <text>', 'description')
    .action(
      action(
        async (
          ctx,
          name: string,
          opts: {
            image?: string;
            replicas?: string;
            auth?: boolean;
            description?: string;
            sslCert?: string;
            sslKey?: string;
            selfSigned?: boolean;
            allowPlaintext?: boolean;
            imageRef?: string;
            registry?: string;
            autoscale?: boolean;
            tlsServerName?: string;
            dnsLabel?: string;
            location?: string;
            timeout?: string;
          },
        ) => {
          const workspace = await ctx.workspace();
          const found = findService(await ctx.store.read(workspace), name);
          const given = givenFlags(updateCommand);
          checkUpdateFlags(found, given);
          const update: ServiceUpdate = {
            image: opts.image,
            replicas: intOption(opts.replicas, '--replicas'),
            authEnabled: given.includes('--auth') ? true : given.includes('--no-auth') ? false : undefined,
            description: opts.description,
            tls: tlsChoice({ ...opts, noTls: given.includes('--no-tls') }),
            allowPlaintext: opts.allowPlaintext,
            imageRef: opts.imageRef,
            registry: opts.registry,
            autoscale: opts.autoscale,
            tlsServerName: opts.tlsServerName,
            dnsLabel: opts.dnsLabel,
            region: opts.location,
            timeoutMs: timeoutMs(opts.timeout),
          };
          const deps = serviceDeps(ctx, workspace);
          // Judged when the update touches auth or TLS (a replica change keeps what was accepted at deploy).
          const touchesSecurity = update.tls !== undefined || update.authEnabled !== undefined;
          const warning =
            touchesSecurity &&
            checkPlaintext(
              found.target,
              {
                name,
                authEnabled: update.authEnabled ?? found.authEnabled,
                tls: update.tls === undefined ? !!found.tls : update.tls !== 'none',
              },
              update.allowPlaintext,
            );
          if (warning) deps.warn?.(warning);
          const updated = await targetFor(found, deps).update(found, update);
          const view = await viewOf(ctx, workspace, updated);
          if (ctx.json) printJson(view);
          else printService(view);
        },
      ),
    );

  service
    .command('logs <name>')
    .description('Print the log of a service (the emulator log, each container, or each pod)')
    .option('--lines <n>', 'lines from the end', '200')
    .action(
      action(async (ctx, name: string, opts: { lines: string }) => {
        const workspace = await ctx.workspace();
        const found = findService(await ctx.store.read(workspace), name);
        const lines = intOption(opts.lines, '--lines')!;
        const logs = await targetFor(found, serviceDeps(ctx, workspace)).logs(found, lines);
        if (ctx.json) {
          printJson({ service: name, target: found.target, logs });
          return;
        }
        if (found.target === 'local') {
          process.stdout.write(
            logs[0]?.text || `(no log yet for ${name}: it is written by the emulator once the service starts)\n`,
          );
          return;
        }
        for (const l of logs) printLine(`==> ${l.source} <==\n${l.text}`);
      }),
    );

  service
    .command('delete <name>')
    .description(
      'Delete a service and everything its target runs for it (emulator service, containers, cluster objects)',
    )
    .action(
      action(async (ctx, name: string) => {
        const workspace = await ctx.workspace();
        const found = findService(await ctx.store.read(workspace), name);
        const { removed } = await targetFor(found, serviceDeps(ctx, workspace)).delete(found);
        if (ctx.json) printJson({ deleted: name, removed });
        else printLine(`Deleted service ${name} (${removed.join(', ') || 'nothing was left to remove'}).`);
      }),
    );

  service
    .command('score <name> <files...>')
    .description('Score image files against the service at its target address (TLS and key as its target serves them)')
    .option('--top <k>', 'how many classes to show', '5')
    .action(
      action(async (ctx, name: string, files: string[], opts: { top: string }) => {
        const k = Number(opts.top);
        if (!Number.isInteger(k) || k < 1)
          throw new AccelError(
            'InvalidArgument',
            `--top ${opts.top} is not valid. Give a whole number ≥ 1, e.g. --top 5.`,
          );
        for (const file of files)
          if (!fs.existsSync(file) || !fs.statSync(file).isFile())
            throw new AccelError('InvalidArgument', `${file}: no such file. Give the path of an image file.`);
        const workspace = await ctx.workspace();
        const found = findService(await ctx.store.read(workspace), name);
        const deps = serviceDeps(ctx, workspace);
        const scorer = await ServiceScorer.open(ctx.store, workspace, found, {
          ensureServing: async () => {
            const { client } = await startHost(ctx.store.home);
            await waitForService(client, name, 120_000, workspace);
          },
          remoteTarget: found.target === 'kubernetes' ? (s) => scoringTarget(deps, s) : undefined,
        });
        const results = [];
        try {
          for (const file of files) {
            const r = await scorer.scoreFile(file, k);
            results.push({ file, top: r.top, timings: r.timings, boxes: r.boxes });
            if (!ctx.json) {
              printLine(`${file}  (total ${r.timings.totalMs.toFixed(1)} ms)`);
              for (const p of r.top)
                printLine(`  ${(p.score * 100).toFixed(1).padStart(5)}%  ${String(p.index).padStart(4)}  ${p.label}`);
            }
          }
        } finally {
          scorer.close();
        }
        if (ctx.json) printJson({ service: name, scoringUri: scorer.uri, results });
      }),
    );
}
