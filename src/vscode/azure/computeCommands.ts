// Compute commands on the Workspaces view's compute nodes: Show (the record, refreshed from Azure when signed in),
// Delete (a created AKS cluster, confirmed, awaited with progress and Cancel) and Detach (an attached one). Refused
// while services use the compute, before anything is asked. Mounted by the composition root.
import * as vscode from 'vscode';
import { AccelError } from '../../domain/errors';
import type { CancellationSignal } from '../../domain/ports';
import type { Compute } from '../../domain/types';
import type { AccelContext } from '../accelContext';
import { withProgress, type CommandRunner } from '../commands/commandRunner';
import type { Trees } from '../trees/trees';
import { computeDescription, type ComputeTreeNode } from '../trees/workspacesTree';
import { noBack } from '../ui';
import type { AzureSession } from './azureSession';

const azureLib = () => import('../../azure');

export const COMPUTE_COMMANDS = {
  show: 'accel.compute.show',
  delete: 'accel.compute.delete',
  detach: 'accel.compute.detach',
} as const;

interface Picked {
  ws: string;
  compute: Compute;
  node?: ComputeTreeNode;
}

async function pickCompute(
  ctx: AccelContext,
  arg: ComputeTreeNode | string | undefined,
  title: string,
): Promise<Picked> {
  if (typeof arg === 'object' && arg?.compute && arg.ws) {
    // The node may be older than the store: read the record again.
    const fresh = (await ctx.store.read(arg.ws)).computes.find((c) => c.name === arg.compute!.name);
    if (!fresh) throw new AccelError('NotFound', `Compute ${arg.compute.name} is gone from workspace ${arg.ws}.`);
    return { ws: arg.ws, compute: fresh, node: arg };
  }
  const ws = await ctx.activeWorkspace();
  if (!ws) throw new AccelError('NotFound', 'There is no workspace yet. Create one with "Create Local Workspace…".');
  const computes = (await ctx.store.read(ws)).computes;
  if (typeof arg === 'string') {
    const c = computes.find((x) => x.name === arg);
    if (!c) throw new AccelError('NotFound', `There is no compute ${arg} in workspace ${ws}.`);
    return { ws, compute: c };
  }
  if (!computes.length)
    throw new AccelError(
      'NotFound',
      `Workspace ${ws} has no computes. Create an AKS cluster with \`accel compute create <name> --resource-group <rg>\` or attach one with \`accel compute attach\`.`,
    );
  const compute = noBack(
    await ctx.ui.pick({
      title,
      placeholder: 'Compute',
      items: computes.map((c) => ({ label: c.name, description: computeDescription(c), value: c })),
    }),
  );
  return { ws, compute };
}

function abortSignalOf(signal: CancellationSignal): AbortSignal {
  const abort = new AbortController();
  if (signal.isCancellationRequested) abort.abort();
  else signal.onCancellationRequested(() => abort.abort());
  return abort.signal;
}

/** The compute as a read-only Markdown document. */
export function computeMarkdown(c: Compute): string {
  const a = c.aks;
  const rows: [string, string | undefined][] = [
    ['Type', c.kind === 'aks' ? 'AKS' : c.kind],
    ['Origin', a?.origin === 'attached' ? 'attached (made outside)' : a ? 'created by Accelerated Models' : undefined],
    ['Provisioning state', a?.provisioningState],
    ['Provisioning errors', a?.provisioningErrors?.join('; ')],
    ['VM size', a?.vmSize],
    ['Nodes', a?.agentCount?.toString()],
    ['Location', a?.location],
    [
      'Accelerator',
      a?.accelerator ? `${a.accelerator.count} × ${a.accelerator.kind} (\`${a.accelerator.resourceName}\`)` : 'none',
    ],
    ['Resource id', a?.resourceId ? `\`${a.resourceId}\`` : undefined],
    ['Kube context', a?.kubeContext],
    ['Created', c.createdTime],
  ];
  return [
    `# Compute ${c.name}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.filter(([, v]) => v).map(([k, v]) => `| ${k} | ${v!.replace(/\|/g, '\\|')} |`),
    '',
    `Deploy to it: \`accel service deploy <service> --image <image> --target kubernetes --compute ${c.name}\``,
    '',
  ].join('\n');
}

export function registerComputeCommands(
  runner: CommandRunner,
  ctx: AccelContext,
  trees: Trees,
  session: AzureSession,
): void {
  runner.register(COMPUTE_COMMANDS.show, async (arg?: ComputeTreeNode | string) => {
    let { ws, compute } = await pickCompute(ctx, arg, 'Show Compute');
    // Refreshed from ARM when it is an Azure resource and the user is signed in; else the record as stored.
    if (compute.aks?.resourceId && (await session.account())) {
      const lib = await azureLib();
      compute = await withProgress(`Reading AKS cluster ${compute.name}`, (_p, signal) =>
        lib.showAksCompute(ctx.store, ws, compute.name, { arm: session.armContext(), signal: abortSignalOf(signal) }),
      );
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: computeMarkdown(compute) });
    await vscode.window.showTextDocument(doc, { preview: true });
    return compute;
  });

  runner.register(
    COMPUTE_COMMANDS.delete,
    async (arg?: ComputeTreeNode | string, options?: { confirmed?: boolean }) => {
      const { ws, compute, node } = await pickCompute(ctx, arg, 'Delete Compute');
      const lib = await azureLib();
      await lib.refuseWhileUsed(ctx.store, ws, compute.name, 'delete');
      if (compute.aks?.origin !== 'created') {
        const detach =
          options?.confirmed ||
          (await ctx.ui.confirm(
            `Compute "${compute.name}" was attached, not created here: detach it instead?`,
            'Accelerated Models forgets it; the cluster itself is left as it is.',
            'Detach',
          ));
        if (!detach) return undefined;
        await lib.detachCompute(ctx.store, ws, compute.name);
        ctx.fireSoon({ workspace: ws });
        return { detached: compute.name };
      }
      const go =
        options?.confirmed ||
        (await ctx.ui.confirm(
          `Delete compute "${compute.name}" and its AKS cluster ${compute.aks.resourceGroup}/${compute.aks.clusterName}?`,
          'Azure deletes the cluster and its nodes. This cannot be undone.',
          'Delete',
        ));
      if (!go) return undefined;
      if (!(await session.account()))
        throw new AccelError(
          'NotSignedIn',
          'Deleting an AKS cluster needs Azure: run "Accelerated Models: Sign in to Azure", then retry.',
        );
      await trees.workspaces.whileBusy(node, 'deleting…', () =>
        withProgress(`Deleting AKS cluster ${compute.name}`, (progress, signal) =>
          lib.deleteAksCompute(ctx.store, ws, compute.name, {
            arm: session.armContext(),
            progress: (line) => progress.report({ message: line }),
            signal: abortSignalOf(signal),
          }),
        ),
      );
      ctx.log.info(`compute ${compute.name} deleted with its AKS cluster`);
      ctx.fireSoon({ workspace: ws });
      return { deleted: compute.name };
    },
  );

  runner.register(
    COMPUTE_COMMANDS.detach,
    async (arg?: ComputeTreeNode | string, options?: { confirmed?: boolean }) => {
      const { ws, compute } = await pickCompute(ctx, arg, 'Detach Compute');
      const lib = await azureLib();
      await lib.refuseWhileUsed(ctx.store, ws, compute.name, 'detach');
      const go =
        options?.confirmed ||
        (await ctx.ui.confirm(
          `Detach compute "${compute.name}"?`,
          'Accelerated Models forgets it; the cluster itself is left as it is.',
          'Detach',
        ));
      if (!go) return undefined;
      await lib.detachCompute(ctx.store, ws, compute.name);
      ctx.fireSoon({ workspace: ws });
      return { detached: compute.name };
    },
  );
}
