// Workspaces view: the local workspaces of the home; the active one is marked, a damaged one shows as an error.
import * as vscode from 'vscode';
import { BaseTree } from './baseTree';
import { damagedWorkspaceNode, tooltipTable, type TreeNode } from './treeNode';

export class WorkspacesTree extends BaseTree {
  /** Extra roots after the local workspaces (the Azure section, set by src/vscode/azure). */
  azureRoots?: (hasLocalWorkspaces: boolean) => Promise<TreeNode[]>;

  protected async roots(): Promise<TreeNode[]> {
    const all = await this.ctx.store.listWorkspaces();
    const active = await this.ctx.activeWorkspace();
    void vscode.commands.executeCommand('setContext', 'accel.hasWorkspace', all.length > 0);
    const local = all.map((workspace) => {
      const isActive = workspace.name === active;
      const item = new vscode.TreeItem(workspace.name, vscode.TreeItemCollapsibleState.None);
      item.id = `workspace/${workspace.name}`;
      item.description = isActive ? `active · ${workspace.backend}` : workspace.backend;
      item.iconPath = new vscode.ThemeIcon(isActive ? 'pass-filled' : 'folder-library');
      item.contextValue = isActive ? 'workspace;active' : 'workspace;';
      item.tooltip = tooltipTable(workspace.name, [
        ['backend', workspace.backend],
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
      return { kind: 'workspace' as const, workspace, item };
    });
    // A damaged workspace gets an error node (what is wrong, what to do) instead of hiding itself or the others.
    const damaged = (await this.ctx.store.listDamagedWorkspaces()).map(damagedWorkspaceNode);
    return [...local, ...damaged, ...((await this.azureRoots?.(local.length > 0)) ?? [])];
  }
}
