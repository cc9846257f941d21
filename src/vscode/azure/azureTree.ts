// The Azure section of the Workspaces view: subscriptions → Azure ML workspaces (name, region, resource group)
// → registered models and online endpoints. WorkspacesTree appends `azureSectionNode(...)` to its roots; the
// Models and Services views may mount `azureModelNodes` / `azureEndpointNodes` for a selected workspace. The ARM
// lists are fetched in the background (AzureListings): getChildren shows what was fetched, or "Loading…", and
// never waits on the network; a finished fetch refreshes the view, and Refresh (Azure) fetches again.
import * as vscode from 'vscode';
import type { AzureMlWorkspace } from '../../azure/workspaces';
import { errorNode, leaf, tooltipTable, type TreeNode } from '../trees/treeNode';
import type { AzureSession } from './azureSession';

/** Loaded on first expansion: the ARM SDKs are slow to load and activation must stay cheap. */
const azureLib = () => import('../../azure');

/** What Azure commands receive from a tree node (as `node.azure`). */
export interface AzureNodeData {
  workspace?: AzureMlWorkspace;
  modelName?: string;
  endpointName?: string;
}

export type AzureTreeNode = TreeNode & { azure?: AzureNodeData };

function node(
  id: string,
  label: string,
  collapsible: boolean,
  icon: string,
  contextValue: string,
  description?: string,
): vscode.TreeItem {
  const item = new vscode.TreeItem(
    label,
    collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = id;
  item.description = description;
  item.iconPath = new vscode.ThemeIcon(icon);
  item.contextValue = contextValue;
  return item;
}

/** ARM lists by tree position, fetched once in the background; the tree reads only what was fetched. */
export class AzureListings {
  private readonly entries = new Map<string, { nodes?: TreeNode[] }>();

  constructor(private readonly onLoaded: (reason: string) => void) {}

  /** The fetched children under `key`, or a "Loading…" node while `load` runs (started on the first ask). */
  children(key: string, load: () => Promise<AzureTreeNode[]>): TreeNode[] {
    const entry = this.entries.get(key);
    if (entry?.nodes) return entry.nodes;
    if (!entry) {
      const fresh: { nodes?: TreeNode[] } = {};
      this.entries.set(key, fresh);
      void guarded(key, load).then((nodes) => {
        if (this.entries.get(key) !== fresh) return; // cleared while loading: a newer fetch owns the key
        fresh.nodes = nodes;
        this.onLoaded(`Azure list loaded (${key})`);
      });
    }
    return [loadingNode(key)];
  }

  /** Forgets every list (Refresh, sign-in or out): the next look fetches again. */
  clear(): void {
    this.entries.clear();
  }
}

function loadingNode(parentId: string): TreeNode {
  const item = node(`${parentId}/loading`, 'Loading…', false, 'loading~spin', 'azureLoading');
  return { kind: 'detail', item };
}

async function guarded(parentId: string, load: () => Promise<AzureTreeNode[]>): Promise<TreeNode[]> {
  try {
    return await load();
  } catch (e) {
    return [errorNode(parentId, e)];
  }
}

export function azureModelNodes(session: AzureSession, lists: AzureListings, ws: AzureMlWorkspace): TreeNode[] {
  const base = `azure/${ws.id}/models`;
  return lists.children(base, async () => {
    const models = await (await azureLib()).listRegisteredModels(session.armContext(), ws);
    if (models.length === 0) return [leaf(`${base}/none`, 'No registered models', undefined, 'info')];
    return models.map((m) => {
      const item = node(
        `${base}/${m.name}`,
        m.name,
        false,
        'symbol-class',
        'azureModel',
        m.latestVersion ? `v${m.latestVersion}` : undefined,
      );
      item.tooltip = tooltipTable(m.name, [
        ['latest version', m.latestVersion],
        ['description', m.description],
        [
          'tags',
          Object.entries(m.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
        ],
      ]);
      return { kind: 'detail' as const, item, azure: { workspace: ws, modelName: m.name } };
    });
  });
}

export function azureEndpointNodes(session: AzureSession, lists: AzureListings, ws: AzureMlWorkspace): TreeNode[] {
  const base = `azure/${ws.id}/endpoints`;
  return lists.children(base, async () => {
    const endpoints = await (await azureLib()).listOnlineEndpoints(session.armContext(), ws);
    if (endpoints.length === 0) return [leaf(`${base}/none`, 'No online endpoints', undefined, 'info')];
    return endpoints.map((e) => {
      const item = node(`${base}/${e.name}`, e.name, false, 'cloud', 'azureEndpoint', e.provisioningState);
      item.tooltip = tooltipTable(e.name, [
        ['state', e.provisioningState],
        ['auth', e.authMode],
        ['scoring URI', e.scoringUri],
        ['region', e.location],
      ]);
      return { kind: 'detail' as const, item, azure: { workspace: ws, endpointName: e.name } };
    });
  });
}

function workspaceNode(session: AzureSession, lists: AzureListings, ws: AzureMlWorkspace): AzureTreeNode {
  const item = node(`azure/${ws.id}`, ws.name, true, 'azure', 'azureWorkspace', `${ws.location} · ${ws.resourceGroup}`);
  item.tooltip = tooltipTable(ws.name, [
    ['region', ws.location],
    ['resource group', ws.resourceGroup],
    ['subscription', ws.subscriptionId],
  ]);
  return {
    kind: 'detail',
    item,
    azure: { workspace: ws },
    children: async () => [
      {
        kind: 'detail',
        item: node(`azure/${ws.id}/models`, 'Registered models', true, 'library', 'azureGroup'),
        children: async () => azureModelNodes(session, lists, ws),
      },
      {
        kind: 'detail',
        item: node(`azure/${ws.id}/endpoints`, 'Online endpoints', true, 'radio-tower', 'azureGroup'),
        children: async () => azureEndpointNodes(session, lists, ws),
      },
    ],
  };
}

/** The collapsible "Azure" root node: a sign-in action when signed out, else subscriptions and workspaces. */
export function azureSectionNode(session: AzureSession, lists: AzureListings): TreeNode {
  const item = node('azure', 'Azure', true, 'azure', 'azureSection');
  return {
    kind: 'detail',
    item,
    children: async () => {
      const account = await session.account().catch(() => undefined);
      if (!account) {
        const signIn = node('azure/sign-in', 'Sign in to Azure…', false, 'sign-in', 'azureSignIn');
        signIn.command = { command: 'accel.azure.signIn', title: 'Sign in to Azure' };
        return [{ kind: 'detail', item: signIn }];
      }
      item.description = account;
      return lists.children('azure', async () => {
        const subs = await (await azureLib()).listSubscriptions(session.armContext());
        if (subs.length === 0)
          return [leaf('azure/no-subscription', 'No subscriptions for this account', account, 'warning')];
        return subs.map((sub) => {
          const subItem = node(
            `azure/sub/${sub.subscriptionId}`,
            sub.name,
            true,
            'key',
            'azureSubscription',
            sub.state === 'Enabled' ? undefined : sub.state,
          );
          return {
            kind: 'detail' as const,
            item: subItem,
            children: async () =>
              lists.children(`azure/sub/${sub.subscriptionId}`, async () => {
                const list = await (await azureLib()).listWorkspaces(session.armContext(), sub.subscriptionId);
                return list.length
                  ? list.map((ws) => workspaceNode(session, lists, ws))
                  : [leaf(`azure/sub/${sub.subscriptionId}/none`, 'No Azure ML workspaces', undefined, 'info')];
              }),
          };
        });
      });
    },
  };
}
