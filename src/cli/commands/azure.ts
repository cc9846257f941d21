// `accel azure login-status|subscriptions|workspaces|quota`, and the Kubernetes options of `accel service deploy|update`
// (--target, the cluster, the registry, autoscaling, --timeout, --location); src/services runs the verbs.
import { Option, type Command } from 'commander';
import type { ArmContext } from '../../azure/armContext';
import { AccelError } from '../../domain/errors';
import { action, nounCommand } from '../context';
import { printJson, printLine, printTable } from '../output';

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

export function register(program: Command): void {
  // `accel service deploy|update` (service.ts, registered before this module) get the Kubernetes options here.
  const service = program.commands.find((c) => c.name() === 'service');
  const deployCommand = service?.commands.find((c) => c.name() === 'deploy');
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

// ---- the Kubernetes options of accel service deploy|update (src/services runs them) --------------------

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

/** Adds the Kubernetes options to `accel service deploy`. */
function addKubernetesDeployOptions(deploy: Command): Command {
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
