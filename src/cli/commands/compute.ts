// accel compute create|list|show|delete|attach|detach: AKS clusters as the original service's AksCompute had them.
import type { Command } from 'commander';
import type { ArmContext } from '../../azure/armContext';
import type { ComputeDeps } from '../../azure/compute/aksCompute';
import { AccelError } from '../../domain/errors';
import { validateName } from '../../domain/names';
import type { Compute } from '../../domain/types';
import { action, nounCommand, type CliContext } from '../context';
import { cliProgress, printJson, printLine, printTable } from '../output';
import { cliArmContext } from './azure';

const azureLib = () => import('../../azure');

/** ARM long-running operations poll every 10 s; ACCEL_ARM_POLL_MS changes it (slow links, the local test servers). */
async function armContext(): Promise<ArmContext> {
  const ctx = await cliArmContext();
  const ms = Number(process.env.ACCEL_ARM_POLL_MS);
  return Number.isFinite(ms) && ms >= 0 && process.env.ACCEL_ARM_POLL_MS ? { ...ctx, pollIntervalMs: ms } : ctx;
}

/** Progress lines on stderr (JSON lines with ACCEL_PROGRESS=json, nothing with --json); Ctrl-C stops waiting. */
async function computeDeps(ctx: CliContext): Promise<{ deps: ComputeDeps; dispose(): void }> {
  const abort = new AbortController();
  const onSigint = () => abort.abort(new AccelError('Cancelled', 'Interrupted (Ctrl-C).'));
  process.once('SIGINT', onSigint);
  const json = process.env.ACCEL_PROGRESS === 'json' ? cliProgress(ctx.json) : undefined;
  const progress = json
    ? (line: string) => json.report({ message: line })
    : ctx.json
      ? undefined
      : (line: string) => process.stderr.write(`${line}\n`);
  return {
    deps: { arm: await armContext(), progress, signal: abort.signal },
    dispose: () => process.removeListener('SIGINT', onSigint),
  };
}

function agentCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new AccelError('InvalidArgument', `--agent-count ${value} is not a whole number. Give e.g. --agent-count 1.`);
  return n;
}

function accelerator(c: Compute): string {
  const a = c.aks?.accelerator;
  return a ? `${a.count} × ${a.kind} (${a.resourceName})` : 'none';
}

function where(c: Compute): string {
  const a = c.aks;
  if (!a) return c.kind;
  if (a.kubeContext) return `context ${a.kubeContext}`;
  return `${a.resourceGroup}/${a.clusterName}`;
}

function printCompute(c: Compute): void {
  const a = c.aks;
  printLine(
    `${c.name}  AKS ${a?.provisioningState ?? 'unknown'}${a?.origin === 'attached' && a.provisioningState !== 'Attached' ? ' (attached)' : ''}`,
  );
  if (!a) return;
  if (a.resourceId) printLine(`  resource id     ${a.resourceId}`);
  if (a.kubeContext) printLine(`  kube context    ${a.kubeContext}${a.kubeconfig ? ` (${a.kubeconfig})` : ''}`);
  printLine(
    `  VM size         ${a.vmSize ?? 'unknown'}${a.agentCount !== undefined ? ` × ${a.agentCount} nodes` : ''}`,
  );
  if (a.location) printLine(`  location        ${a.location}`);
  printLine(`  accelerator     ${accelerator(c)}`);
  if (a.provisioningErrors?.length) printLine(`  errors          ${a.provisioningErrors.join('; ')}`);
  printLine(`  created         ${c.createdTime}`);
}

export function register(program: Command): void {
  const compute = nounCommand(
    program,
    'compute',
    'AKS clusters for services: provision (quota checked first), list, show, delete, attach and detach',
  );

  compute
    .command('create <name>')
    .description('provision an AKS cluster (waits for it; Ctrl-C stops waiting, Azure keeps going)')
    .option('--vm-size <size>', 'node VM size (Standard_PB6s: one FPGA; NC/ND/NV: GPUs)', 'Standard_PB6s')
    .option('--agent-count <n>', 'nodes; one model per accelerator node', '1')
    .option('--location <region>', 'Azure region', 'eastus')
    .requiredOption('--resource-group <rg>', 'resource group of the cluster (must exist)')
    .option('--subscription <id|name>', 'subscription (default: the only enabled one, or AZURE_SUBSCRIPTION_ID)')
    .option('--accelerator-resource <name>', "the device plugin's resource name, when not the usual one")
    .action(
      action(
        async (
          ctx,
          name: string,
          opts: {
            vmSize: string;
            agentCount: string;
            location: string;
            resourceGroup: string;
            subscription?: string;
            acceleratorResource?: string;
          },
        ) => {
          const workspace = await ctx.workspace();
          const lib = await azureLib();
          // Every value goes into an ARM URL or body: all are checked before the first request.
          validateName('compute', name);
          lib.validateResourceGroup(opts.resourceGroup);
          lib.validateVmSize(opts.vmSize);
          lib.normalizeLocation(opts.location);
          const nodes = lib.validateAgentCount(agentCount(opts.agentCount));
          const { deps, dispose } = await computeDeps(ctx);
          try {
            const sub = await lib.resolveSubscription(deps.arm, opts.subscription);
            const created = await lib.createAksCompute(
              ctx.store,
              workspace,
              {
                name,
                subscriptionId: sub.subscriptionId,
                resourceGroup: opts.resourceGroup,
                vmSize: opts.vmSize,
                agentCount: nodes,
                location: opts.location,
                acceleratorResource: opts.acceleratorResource,
              },
              deps,
            );
            if (ctx.json) printJson(created);
            else {
              printCompute(created);
              printLine(
                `\nDeploy to it: accel service deploy <service> --image <image> --target kubernetes --compute ${name}`,
              );
            }
          } finally {
            dispose();
          }
        },
      ),
    );

  compute
    .command('list')
    .description('list the computes of the workspace (as recorded; `show` refreshes one from Azure)')
    .action(
      action(async (ctx) => {
        const { listComputes } = await azureLib();
        const computes = await listComputes(ctx.store, await ctx.workspace());
        if (ctx.json) return printJson(computes);
        printTable(
          computes,
          [
            { header: 'NAME', value: (c) => c.name },
            { header: 'TYPE', value: (c) => (c.kind === 'aks' ? 'AKS' : c.kind) },
            { header: 'VM SIZE', value: (c) => c.aks?.vmSize },
            { header: 'NODES', value: (c) => c.aks?.agentCount },
            { header: 'LOCATION', value: (c) => c.aks?.location },
            { header: 'STATE', value: (c) => c.aks?.provisioningState },
            { header: 'ACCELERATOR', value: (c) => accelerator(c) },
            { header: 'CLUSTER', value: (c) => where(c) },
          ],
          'No computes. Create one with `accel compute create <name> --vm-size Standard_PB6s --agent-count 1 --location eastus --resource-group <rg>`, or attach a cluster with `accel compute attach <name> --cluster <resource id>`.',
        );
      }),
    );

  compute
    .command('show <name>')
    .description("show a compute, with the cluster's provisioning state read from Azure")
    .action(
      action(async (ctx, name: string) => {
        const { showAksCompute } = await azureLib();
        const { deps, dispose } = await computeDeps(ctx);
        try {
          const c = await showAksCompute(ctx.store, await ctx.workspace(), name, deps);
          if (ctx.json) printJson(c);
          else printCompute(c);
        } finally {
          dispose();
        }
      }),
    );

  compute
    .command('delete <name>')
    .description('delete a compute and its AKS cluster (waits); refused while services use it')
    .action(
      action(async (ctx, name: string) => {
        const { deleteAksCompute } = await azureLib();
        const { deps, dispose } = await computeDeps(ctx);
        try {
          await deleteAksCompute(ctx.store, await ctx.workspace(), name, deps);
          if (ctx.json) printJson({ deleted: name });
          else printLine(`Deleted compute ${name} and its AKS cluster.`);
        } finally {
          dispose();
        }
      }),
    );

  compute
    .command('attach <name>')
    .description('record a Kubernetes cluster made elsewhere: an AKS resource id, or a kubeconfig context')
    .option('--cluster <resource id>', 'AKS cluster resource id (its user credentials are fetched through Azure)')
    .option('--kube-context <context>', 'kubeconfig context of any Kubernetes cluster')
    .option('--kubeconfig <file>', 'kubeconfig file of --kube-context (default: $KUBECONFIG or ~/.kube/config)')
    .option('--vm-size <size>', "the accelerator nodes' VM size, with --kube-context (AKS clusters report it)")
    .option('--accelerator-resource <name>', "the device plugin's resource name, when not the usual one")
    .action(
      action(
        async (
          ctx,
          name: string,
          opts: {
            cluster?: string;
            kubeContext?: string;
            kubeconfig?: string;
            vmSize?: string;
            acceleratorResource?: string;
          },
        ) => {
          if (!!opts.cluster === !!opts.kubeContext)
            throw new AccelError(
              'InvalidArgument',
              'Give exactly one of --cluster <AKS resource id> or --kube-context <context>.',
            );
          if (opts.cluster && (opts.kubeconfig || opts.vmSize))
            throw new AccelError(
              'InvalidArgument',
              '--kubeconfig and --vm-size go with --kube-context; an AKS --cluster reports its own.',
            );
          const workspace = await ctx.workspace();
          const { attachAksCompute } = await azureLib();
          const { deps, dispose } = await computeDeps(ctx);
          try {
            const c = await attachAksCompute(
              ctx.store,
              workspace,
              opts.cluster
                ? { name, clusterId: opts.cluster, acceleratorResource: opts.acceleratorResource }
                : {
                    name,
                    kubeContext: opts.kubeContext!,
                    kubeconfig: opts.kubeconfig,
                    vmSize: opts.vmSize,
                    acceleratorResource: opts.acceleratorResource,
                  },
              deps,
            );
            if (ctx.json) printJson(c);
            else printCompute(c);
          } finally {
            dispose();
          }
        },
      ),
    );

  compute
    .command('detach <name>')
    .description('forget a compute without touching its cluster; refused while services use it')
    .action(
      action(async (ctx, name: string) => {
        const { detachCompute } = await azureLib();
        await detachCompute(ctx.store, await ctx.workspace(), name);
        if (ctx.json) printJson({ detached: name });
        else printLine(`Detached compute ${name}; its cluster was left as it is.`);
      }),
    );
}
