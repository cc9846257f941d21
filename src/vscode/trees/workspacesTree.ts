// Workspaces view, compact: one line per local workspace (the active one marked, what it holds as counts, the
// details in the tooltip), its computes (AKS clusters) as children; a damaged workspace shows as an error node.
import * as vscode from 'vscode';
import type { Compute, Workspace, WorkspaceState } from '../../domain/types';
import { BaseTree } from './baseTree';
import { damagedWorkspaceNode, errorNode, tooltipTable, type TreeNode } from './treeNode';

/** What compute commands receive from a compute node (`node.compute`, with `node.ws`). */
export type ComputeTreeNode = TreeNode & { compute?: Compute };

function plural(n: number, one: string, many = `${one}s`): string | undefined {
  return n === 0 ? undefined : `${n} ${n === 1 ? one : many}`;
}

/** "2 models · 1 image · 1 service · 1 compute" (what is there only). */
export function workspaceCounts(state: WorkspaceState): string {
  return [
    plural(state.models.length, 'model'),
    plural(state.images.length, 'image'),
    plural(state.services.length, 'service'),
    plural(state.computes.length, 'compute'),
  ]
    .filter(Boolean)
    .join(' · ');
}

function acceleratorText(c: Compute): string | undefined {
  const a = c.aks?.accelerator;
  return a ? `${a.count} × ${a.kind}` : undefined;
}

/** "Standard_PB6s × 2 · Succeeded · 1 × FPGA" */
export function computeDescription(c: Compute): string {
  const a = c.aks;
  if (!a) return c.kind;
  const size = a.vmSize ? `${a.vmSize}${a.agentCount !== undefined ? ` × ${a.agentCount}` : ''}` : a.kubeContext;
  return [size, a.provisioningState, acceleratorText(c)].filter(Boolean).join(' · ');
}

export function computeNode(ws: string, c: Compute): ComputeTreeNode {
  const a = c.aks;
  const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.None);
  item.id = `workspace/${ws}/compute/${c.name}`;
  item.description = computeDescription(c);
  const failed = /failed|notfound/i.test(a?.provisioningState ?? '');
  const busy = /creating|deleting|updating|upgrading|scaling/i.test(a?.provisioningState ?? '');
  item.iconPath = failed
    ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
    : busy
      ? new vscode.ThemeIcon('loading~spin')
      : new vscode.ThemeIcon(a?.accelerator ? 'circuit-board' : 'server');
  item.contextValue = `compute;${c.kind};${a?.origin ?? ''}`;
  item.tooltip = tooltipTable(`Compute ${c.name}`, [
    ['type', c.kind === 'aks' ? 'AKS' : c.kind],
    ['origin', a?.origin],
    ['provisioning state', a?.provisioningState],
    ['VM size', a?.vmSize],
    ['nodes', a?.agentCount?.toString()],
    ['location', a?.location],
    [
      'accelerator',
      a?.accelerator ? `${a.accelerator.count} × ${a.accelerator.kind} (${a.accelerator.resourceName})` : 'none',
    ],
    ['resource id', a?.resourceId],
    ['kube context', a?.kubeContext],
    ['errors', a?.provisioningErrors?.join('; ')],
    ['created', c.createdTime],
  ]);
  item.command = {
    command: 'accel.compute.show',
    title: 'Show Compute',
    arguments: [{ kind: 'detail', ws, compute: c, item }],
  };
  return { kind: 'detail', ws, item, compute: c };
}

export class WorkspacesTree extends BaseTree {
  /** Extra roots after the local workspaces (the Azure section, set by src/vscode/azure). */
  azureRoots?: (hasLocalWorkspaces: boolean) => Promise<TreeNode[]>;

  private workspaceNode(workspace: Workspace, isActive: boolean, state: WorkspaceState | undefined): TreeNode {
    const computes = state?.computes ?? [];
    const item = new vscode.TreeItem(
      workspace.name,
      computes.length
        ? isActive
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `workspace/${workspace.name}`;
    const counts = state ? workspaceCounts(state) : '';
    item.description = [isActive ? 'active' : undefined, counts || 'empty'].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(isActive ? 'pass-filled' : 'folder-library');
    item.contextValue = isActive ? 'workspace;active' : 'workspace;';
    item.tooltip = tooltipTable(workspace.name, [
      ['active', isActive ? 'yes' : 'no (click to select)'],
      ['backend', workspace.backend],
      ['models', state?.models.length.toString()],
      ['images', state?.images.length.toString()],
      ['services', state?.services.length.toString()],
      ['computes', computes.length ? computes.map((c) => `${c.name} (${computeDescription(c)})`).join(', ') : '0'],
      ['created', workspace.createdTime],
      ['description', workspace.description],
      ['store', this.ctx.home],
    ]);
    if (!isActive)
      item.command = {
        command: 'accel.workspace.select',
        title: 'Select Workspace',
        arguments: [{ kind: 'workspace', workspace, item }],
      };
    const children = computes.length
      ? async () =>
          [...computes].sort((a, b) => a.name.localeCompare(b.name)).map((c) => computeNode(workspace.name, c))
      : undefined;
    return { kind: 'workspace' as const, workspace, item, children };
  }

  protected async roots(): Promise<TreeNode[]> {
    const all = await this.ctx.store.listWorkspaces();
    const active = await this.ctx.activeWorkspace();
    void vscode.commands.executeCommand('setContext', 'accel.hasWorkspace', all.length > 0);
    const local: TreeNode[] = [];
    for (const workspace of all) {
      let state: WorkspaceState | undefined;
      try {
        state = await this.ctx.store.read(workspace.name);
      } catch (e) {
        // Listed as readable a moment ago; if it broke since, say so on its own line and keep the others.
        local.push(errorNode(`workspace/${workspace.name}`, e));
        continue;
      }
      local.push(this.workspaceNode(workspace, workspace.name === active, state));
    }
    // A damaged workspace gets an error node (what is wrong, what to do) instead of hiding itself or the others.
    const damaged = (await this.ctx.store.listDamagedWorkspaces()).map(damagedWorkspaceNode);
    const hasLocal = local.some((n) => n.kind === 'workspace');
    return [...local, ...damaged, ...((await this.azureRoots?.(hasLocal)) ?? [])];
  }
}
