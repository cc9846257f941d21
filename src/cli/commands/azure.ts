// `accel azure login-status|subscriptions|workspaces|quota`, and the Kubernetes (AKS) side of
// `accel service deploy --target kubernetes` and of the other service verbs.
import { Option, type Command } from 'commander';
import type { ArmContext } from '../../azure/armContext';
import type { KubeDeps, KubeServiceView, KubeTls } from '../../azure/kubernetesServices';
import { AccelError } from '../../domain/errors';
import { action, nounCommand, type CliContext } from '../context';
import { cliProgress, printJson, printLine, printTable } from '../output';
import type { RemoteTarget } from '../../scoring/serviceScorer';

/** The Azure code, loaded on first use: its SDKs are slow to load and most commands never need them. */
const azureLib = () => import('../../azure');

/** The CLI's ARM context: DefaultAzureCredential; ACCEL_ARM_ENDPOINT overrides the endpoint (sovereign clouds). */
export async function cliArmContext(): Promise<ArmContext> {
  return { credential: (await azureLib()).cliCredential() };
}

function wholeNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new AccelError('InvalidArgument', `${flag} ${value} is not a whole number. Give e.g. ${flag} 2.`);
  return n;
}

let deployCommand: Command | undefined;

export function register(program: Command): void {
  // `accel service deploy|update` (service.ts, registered before this module) get the Kubernetes options here.
  const service = program.commands.find((c) => c.name() === 'service');
  deployCommand = service?.commands.find((c) => c.name() === 'deploy');
  if (deployCommand) addKubernetesDeployOptions(deployCommand);
  const update = service?.commands.find((c) => c.name() === 'update');
  if (update) {
    addMissing(update, '--image-ref <ref>', '[kubernetes] run this already pushed image');
    addMissing(update, '--registry <acr>', '[kubernetes] build the new --image in this Azure Container Registry');
    addMissing(update, '--autoscale', '[kubernetes] switch to autoscaling (1-10 at 70 % CPU)');
    addClusterWaitOptions(update);
  }

  const azure = nounCommand(
    program,
    'azure',
    'Azure: sign-in status, subscriptions, Azure ML workspaces, accelerator quota',
  );

  azure
    .command('login-status')
    .description('Show which Azure account the CLI uses (environment, managed identity, Azure CLI, ...)')
    .action(
      action(async (ctx) => {
        const { loginStatus, requireSignedIn } = await azureLib();
        const status = await loginStatus((await cliArmContext()).credential);
        requireSignedIn(status);
        if (ctx.json) printJson(status);
        else
          printLine(
            `Signed in to Azure as ${status.account ?? 'an unnamed identity'} (tenant ${status.tenantId ?? 'unknown'}), token valid until ${status.expiresOn}.`,
          );
      }),
    );

  azure
    .command('subscriptions')
    .description('List the subscriptions the signed-in account can use')
    .action(
      action(async (ctx) => {
        const { listSubscriptions } = await azureLib();
        const subs = await listSubscriptions(await cliArmContext());
        if (ctx.json) printJson(subs);
        else
          printTable(
            subs,
            [
              { header: 'NAME', value: (s) => s.name },
              { header: 'SUBSCRIPTION ID', value: (s) => s.subscriptionId },
              { header: 'STATE', value: (s) => s.state },
              { header: 'TENANT', value: (s) => s.tenantId },
            ],
            'No subscriptions for this account. Create one at https://portal.azure.com, or sign in to another tenant (`az login --tenant <id>`).',
          );
      }),
    );

  azure
    .command('workspaces')
    .description('List Azure Machine Learning workspaces (name, region, resource group)')
    .option('--subscription <id|name>', 'only this subscription (default: every enabled one)')
    .action(
      action(async (ctx, opts: { subscription?: string }) => {
        const { listWorkspaces, requireSubscriptions, resolveSubscription } = await azureLib();
        const arm = await cliArmContext();
        const subs = opts.subscription
          ? [await resolveSubscription(arm, opts.subscription)]
          : await requireSubscriptions(arm);
        const rows = [];
        for (const sub of subs)
          rows.push(...(await listWorkspaces(arm, sub.subscriptionId)).map((w) => ({ ...w, subscription: sub.name })));
        if (ctx.json) printJson(rows);
        else
          printTable(
            rows,
            [
              { header: 'WORKSPACE', value: (w) => w.name },
              { header: 'REGION', value: (w) => w.location },
              { header: 'RESOURCE GROUP', value: (w) => w.resourceGroup },
              { header: 'SUBSCRIPTION', value: (w) => w.subscription },
            ],
            'No Azure Machine Learning workspaces. Create one with `az ml workspace create --name <name> --resource-group <rg>`.',
          );
      }),
    );

  azure
    .command('quota')
    .description(
      'Accelerator quota (FPGA PBS/NP, GPU NC/ND/NV families), the sizes a region offers, and whether a deployment fits',
    )
    .requiredOption('--location <region>', 'Azure region, e.g. eastus')
    .option('--size <vm size>', 'VM size to judge', 'Standard_PB6s')
    .option('--replicas <n>', 'replicas wanted (one VM each)', '1')
    .option('--subscription <id|name>', 'subscription (default: the only enabled one, or AZURE_SUBSCRIPTION_ID)')
    .action(
      action(async (ctx, opts: { location: string; size: string; replicas: string; subscription?: string }) => {
        const { acceleratorQuota, quotaVerdict, resolveSubscription } = await azureLib();
        const arm = await cliArmContext();
        const sub = await resolveSubscription(arm, opts.subscription);
        const report = await acceleratorQuota(arm, sub.subscriptionId, opts.location);
        const verdict = quotaVerdict(report, opts.size, wholeNumber(opts.replicas, '--replicas') || 1);
        if (ctx.json) {
          printJson({ ...report, verdict });
          return;
        }
        printLine(`Accelerator quota in ${report.location} (subscription ${sub.name})`);
        if (report.regionalVcpus)
          printLine(`Total regional vCPUs: ${report.regionalVcpus.used} used of ${report.regionalVcpus.limit}`);
        printLine();
        printTable(
          report.families,
          [
            { header: 'KIND', value: (f) => f.kind },
            { header: 'FAMILY', value: (f) => f.localName },
            { header: 'USED', value: (f) => f.used },
            { header: 'LIMIT', value: (f) => f.limit },
            { header: 'AVAILABLE', value: (f) => f.available },
          ],
          'No accelerator VM families have quota entries in this region.',
        );
        printLine();
        printTable(
          report.sizes,
          [
            { header: 'SIZE', value: (s) => s.name },
            { header: 'KIND', value: (s) => s.kind },
            { header: 'VCPUS', value: (s) => s.vCPUs },
            { header: 'ACCELERATORS', value: (s) => s.accelerators },
            { header: 'AVAILABILITY', value: (s) => s.restriction ?? 'available' },
          ],
          'This region offers no accelerator VM sizes.',
        );
        printLine();
        printLine(verdict.message);
      }),
    );
}

// ---- accel service ... --target kubernetes -------------------------------------------------------------

export interface KubernetesDeployCliOptions {
  target?: string;
  image: string;
  imageRef?: string;
  registry?: string;
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  aksCluster?: string;
  resourceGroup?: string;
  subscription?: string;
  replicas?: string;
  autoscale?: boolean;
  min?: string;
  max?: string;
  targetUtilization?: string;
  auth?: boolean;
  sslCert?: string;
  sslKey?: string;
  selfSigned?: boolean;
  dnsLabel?: string;
  location?: string;
  tlsServerName?: string;
  compute?: string;
  allowPlaintext?: boolean;
  timeout?: string;
  description?: string;
}

/** The TLS a deploy or update asks for: PEM files, self-signed, 'off' (--no-tls), or undefined (unchanged/none). */
function cliTls(opts: {
  sslCert?: string;
  sslKey?: string;
  selfSigned?: boolean;
  noTls?: boolean;
  /** commander's value of --no-tls (false when given) */
  tls?: unknown;
}): KubeTls | 'off' | undefined {
  const noTls = opts.noTls || opts.tls === false;
  const given = [opts.selfSigned, !!(opts.sslCert || opts.sslKey), noTls].filter(Boolean).length;
  if (given > 1)
    throw new AccelError('InvalidArgument', 'Give one of --self-signed, --ssl-cert with --ssl-key, or --no-tls.');
  if (!!opts.sslCert !== !!opts.sslKey)
    throw new AccelError(
      'InvalidArgument',
      'TLS needs both --ssl-cert <file> and --ssl-key <file> (PEM), or use --self-signed.',
    );
  if (noTls) return 'off';
  if (opts.selfSigned) return 'self-signed';
  return opts.sslCert && opts.sslKey ? { certFile: opts.sslCert, keyFile: opts.sslKey } : undefined;
}

/** Adds an option unless service.ts already declared it (commander refuses a flag declared twice). */
function addMissing(command: Command, flags: string, description: string): void {
  const long = flags.split(/[ ,]/)[0];
  if (!command.options.some((o) => o.long === long)) command.option(flags, description);
}

/** --timeout and --location, for the rollout wait and the DNS label's region. */
function addClusterWaitOptions(command: Command): void {
  addMissing(
    command,
    '--timeout <seconds>',
    '[kubernetes] how long the rollout may take before it is undone (default 600)',
  );
  addMissing(
    command,
    '--location <region>',
    "[kubernetes] Azure region of the cluster, for --dns-label (default: the compute's or AKS cluster's)",
  );
}

/** `--timeout <seconds>` in milliseconds. */
export function timeoutOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new AccelError(
      'InvalidArgument',
      `--timeout ${value} is not valid. Give seconds from 1 to 86400, e.g. --timeout 900.`,
    );
  return Math.round(n * 1000);
}

/** Adds the Kubernetes options to `accel service deploy`. */
export function addKubernetesDeployOptions(deploy: Command): Command {
  addClusterWaitOptions(deploy);
  for (const [flags, description] of [
    ['--self-signed', 'serve TLS with a generated self-signed certificate'],
    ['--dns-label <label>', '[kubernetes] Azure load balancer DNS label (<label>.<region>.cloudapp.azure.com)'],
    ['--tls-server-name <name>', '[kubernetes] the name clients verify the certificate against'],
    ['--compute <name>', '[kubernetes] the AKS compute (accel compute create|attach) to run on'],
    ['--allow-plaintext', 'allow keys over plain text to an address off this machine (not recommended)'],
  ])
    addMissing(deploy, flags, description);
  return deploy
    .addOption(
      new Option(
        '--target <where>',
        'where to run it: the local emulator, a local container engine (a built image), or a Kubernetes cluster such as AKS',
      )
        .choices(['local', 'container', 'kubernetes'])
        .default('local'),
    )
    .option('--context <name>', '[kubernetes] kubeconfig context (default: the current one)')
    .option('--namespace <name>', '[kubernetes] namespace', 'default')
    .option('--kubeconfig <file>', '[kubernetes] kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option(
      '--aks-cluster <name>',
      '[kubernetes] AKS cluster: fetch its user credentials through Azure (with --resource-group)',
    )
    .option('--resource-group <rg>', '[kubernetes] resource group of --aks-cluster')
    .option('--subscription <id|name>', '[kubernetes] subscription of --aks-cluster and --registry')
    .option(
      '--registry <acr>',
      '[kubernetes] build the image in this Azure Container Registry with ACR Tasks (no local Docker)',
    )
    .option(
      '--image-ref <ref>',
      '[kubernetes] run an image already pushed (e.g. myacr.azurecr.io/mobilenet:1) instead of building',
    )
    .option('--autoscale', '[kubernetes] autoscale (the default when --replicas is not given)')
    .option('--min <n>', '[kubernetes] autoscale minimum replicas (default 1)')
    .option('--max <n>', '[kubernetes] autoscale maximum replicas (default 10)')
    .option('--target-utilization <percent>', '[kubernetes] autoscale target CPU utilisation (default 70)');
}

async function kubeDeps(ctx: CliContext, opts: { kubeconfig?: string } = {}): Promise<KubeDeps> {
  return { arm: await cliArmContext(), kubeconfigPath: opts.kubeconfig, progress: cliProgress(ctx.json) };
}

function printKubeService(v: KubeServiceView): void {
  printLine(`${v.name}  ${v.state} on Kubernetes (${v.context}/${v.namespace})`);
  printLine(`  scoring URI  ${v.scoringUri ?? `pending: ${v.pending}`}`);
  printLine(`  image        ${v.imageId} as ${v.imageRef}`);
  printLine(
    `  replicas     ${v.replicas.ready} ready of ${v.replicas.desired}${v.autoscale ? ` (autoscale ${v.autoscale.min}-${v.autoscale.max} at ${v.autoscale.targetUtilization}% CPU)` : ''}`,
  );
  printLine(`  auth         ${v.authEnabled ? `on (keys: accel service keys ${v.name})` : 'off'}`);
  printLine(
    `  TLS          ${v.tls ? `on (port ${v.port}${v.selfSigned ? ', self-signed' : ''}${(v.tlsServerName ?? v.dnsName) ? `, for ${v.tlsServerName ?? v.dnsName}` : ''})` : `off (port ${v.port})`}`,
  );
  printLine(`  readiness    ${v.readiness}${v.message ? `: ${v.message}` : ''}`);
  for (const e of v.events) printLine(`  event        ${e}`);
}

/** `accel service deploy <name> --target kubernetes ...`. */
export async function deployToKubernetes(
  ctx: CliContext,
  name: string,
  opts: KubernetesDeployCliOptions,
): Promise<void> {
  const workspace = await ctx.workspace();
  const { deployKubernetesService, resolveSubscription } = await azureLib();
  const arm = await cliArmContext();
  // service.ts defaults --replicas to 1; on Kubernetes an unset count means autoscale, as on the original service.
  const explicitReplicas =
    deployCommand?.getOptionValueSource('replicas') === 'cli' ? wholeNumber(opts.replicas, '--replicas') : undefined;
  const autoscaleGiven =
    opts.autoscale || opts.min !== undefined || opts.max !== undefined || opts.targetUtilization !== undefined;
  if (!!opts.aksCluster !== !!opts.resourceGroup)
    throw new AccelError('InvalidArgument', '--aks-cluster needs --resource-group (and the other way round).');
  const tls = cliTls(opts);
  const needsSubscription = !!opts.aksCluster || (!!opts.registry && !opts.imageRef);
  const subscriptionId = needsSubscription
    ? (await resolveSubscription(arm, opts.subscription)).subscriptionId
    : undefined;
  if (!ctx.json) process.stderr.write(`Deploying ${name} from ${opts.image} to Kubernetes ...\n`);
  const view = await deployKubernetesService(
    ctx.store,
    workspace,
    {
      name,
      image: opts.image,
      imageRef: opts.imageRef,
      registry: opts.registry,
      context: opts.aksCluster ? undefined : opts.context,
      namespace: opts.namespace,
      aks: opts.aksCluster
        ? { subscriptionId: subscriptionId!, resourceGroup: opts.resourceGroup!, name: opts.aksCluster }
        : undefined,
      subscriptionId,
      replicas: explicitReplicas,
      autoscale: autoscaleGiven
        ? {
            min: wholeNumber(opts.min, '--min'),
            max: wholeNumber(opts.max, '--max'),
            targetUtilization: wholeNumber(opts.targetUtilization, '--target-utilization'),
          }
        : undefined,
      authEnabled: opts.auth,
      tls: tls === 'off' ? undefined : tls,
      description: opts.description,
      dnsLabel: opts.dnsLabel,
      region: opts.location,
      tlsServerName: opts.tlsServerName,
      compute: opts.compute,
      allowPlaintext: opts.allowPlaintext,
      timeoutMs: timeoutOption(opts.timeout),
    },
    await kubeDeps(ctx, opts),
  );
  if (ctx.json) printJson(view);
  else {
    printKubeService(view);
    printLine(`\nScore a photo: accel score ${name} <image file>`);
  }
}

/** True when `name` is a Kubernetes service of the workspace (the service verbs then route here). */
export async function isKubernetesService(ctx: CliContext, name: string): Promise<boolean> {
  const state = await ctx.store.read(await ctx.workspace());
  return state.services.some((s) => s.name === name && s.target === 'kubernetes');
}

export type KubernetesVerb =
  | { verb: 'show' }
  | { verb: 'keys' }
  | { verb: 'regen-key'; which: 'primary' | 'secondary' }
  | {
      verb: 'update';
      image?: string;
      imageRef?: string;
      registry?: string;
      replicas?: number;
      autoscale?: boolean;
      auth?: boolean;
      description?: string;
      sslCert?: string;
      sslKey?: string;
      selfSigned?: boolean;
      /** --no-tls */
      noTls?: boolean;
      dnsLabel?: string;
      location?: string;
      tlsServerName?: string;
      allowPlaintext?: boolean;
      timeout?: string;
    }
  | { verb: 'logs'; tail?: number }
  | { verb: 'delete' };

/** The other service verbs for a Kubernetes service. */
export async function runKubernetesVerb(ctx: CliContext, name: string, request: KubernetesVerb): Promise<void> {
  const workspace = await ctx.workspace();
  const deps = await kubeDeps(ctx);
  const {
    deleteKubernetesService,
    kubernetesServiceKeys,
    kubernetesServiceLogs,
    regenerateKubernetesKey,
    showKubernetesService,
    updateKubernetesService,
  } = await azureLib();
  switch (request.verb) {
    case 'show': {
      const view = await showKubernetesService(ctx.store, workspace, name, deps);
      if (ctx.json) printJson(view);
      else printKubeService(view);
      return;
    }
    case 'keys': {
      const keys = await kubernetesServiceKeys(ctx.store, workspace, name);
      if (ctx.json) printJson(keys);
      else printLine(`primary    ${keys.primaryKey}\nsecondary  ${keys.secondaryKey}`);
      return;
    }
    case 'regen-key': {
      const keys = await regenerateKubernetesKey(ctx.store, workspace, name, request.which, deps);
      if (ctx.json) printJson(keys);
      else
        printLine(
          `Regenerated the ${request.which} key of ${name}; the pods roll over to it one at a time. New ${request.which} key: ${request.which === 'primary' ? keys.primaryKey : keys.secondaryKey}`,
        );
      return;
    }
    case 'update': {
      const view = await updateKubernetesService(
        ctx.store,
        workspace,
        name,
        {
          image: request.image,
          imageRef: request.imageRef,
          registry: request.registry,
          replicas: request.replicas,
          autoscale: request.autoscale,
          authEnabled: request.auth,
          description: request.description,
          tls: cliTls(request),
          dnsLabel: request.dnsLabel,
          region: request.location,
          tlsServerName: request.tlsServerName,
          allowPlaintext: request.allowPlaintext,
          timeoutMs: timeoutOption(request.timeout),
        },
        deps,
      );
      if (ctx.json) printJson(view);
      else printKubeService(view);
      return;
    }
    case 'logs': {
      const logs = await kubernetesServiceLogs(ctx.store, workspace, name, deps, request.tail);
      if (ctx.json) printJson(logs);
      else for (const p of logs) printLine(`==> pod ${p.pod} (${p.phase ?? 'unknown'}) <==\n${p.log}`);
      return;
    }
    case 'delete': {
      const { deleted } = await deleteKubernetesService(ctx.store, workspace, name, deps);
      if (ctx.json) printJson({ deleted: name, objects: deleted });
      else printLine(`Deleted service ${name} (${deleted.join(', ') || 'no cluster objects were left'}).`);
      return;
    }
  }
}

/** Where a Kubernetes service is scored: the load balancer's address, the primary key from the store. */
export async function kubernetesScoringTarget(ctx: CliContext, name: string): Promise<RemoteTarget> {
  const t = await (
    await azureLib()
  ).kubernetesScoringTarget(ctx.store, await ctx.workspace(), name, await kubeDeps(ctx));
  return { address: t.address, port: t.port, useSsl: t.useSsl, key: t.accessToken, serviceName: t.serviceName };
}
