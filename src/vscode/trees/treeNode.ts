// Tree nodes are plain data (what commands receive when invoked from a tree) plus the TreeItem to show.
// Ids are stable (workspace + entity id, never volatile text) so expansion and selection survive refreshes.
import * as vscode from 'vscode';
import type { DamagedWorkspace } from '../../domain/ports';
import type { Image, Model, Service, Workspace } from '../../domain/types';

export type NodeKind =
  | 'workspace'
  | 'modelName'
  | 'modelVersion'
  | 'imageName'
  | 'imageVersion'
  | 'service'
  | 'detail'
  | 'error'
  | 'placeholder';

export interface TreeNode {
  kind: NodeKind;
  /** Workspace the entity lives in (absent for workspace, error and placeholder nodes). */
  ws?: string;
  item: vscode.TreeItem;
  /** Loads the children; absent = leaf. */
  children?: () => Promise<TreeNode[]>;
  workspace?: Workspace;
  model?: Model;
  image?: Image;
  service?: Service;
  /** For grouped names: the entity name. */
  name?: string;
}

export function leaf(id: string, label: string, description?: string, icon?: string, tooltip?: string): TreeNode {
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = id;
  item.description = description;
  item.tooltip = tooltip ?? (description ? `${label}: ${description}` : label);
  item.contextValue = 'detail';
  if (icon) item.iconPath = new vscode.ThemeIcon(icon);
  return { kind: 'detail', item };
}

/** What a failing backend shows instead of an exception; clicking it opens the log. */
export function errorNode(parentId: string, error: unknown): TreeNode {
  const message = error instanceof Error ? error.message : String(error);
  const item = new vscode.TreeItem(`Error: ${message.split('\n')[0]}`, vscode.TreeItemCollapsibleState.None);
  item.id = `${parentId}/error`;
  item.tooltip = message;
  item.contextValue = 'error';
  item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  item.command = { command: 'accel.showLog', title: 'Show Log' };
  return { kind: 'error', item };
}

/** A workspace whose state cannot be read: an error node saying what is wrong and what to do; clicking opens the file. */
export function damagedWorkspaceNode(damaged: DamagedWorkspace): TreeNode {
  const newer = damaged.code === 'SchemaTooNew';
  const item = new vscode.TreeItem(damaged.name, vscode.TreeItemCollapsibleState.None);
  item.id = `workspace/${damaged.name}/damaged`;
  item.description = newer ? 'newer schema: skipped' : 'damaged: skipped';
  const tooltip = new vscode.MarkdownString(
    `**${escapeMd(damaged.name)}** cannot be read, so it is skipped and left unchanged; the other workspaces keep working.\n\n`,
  );
  tooltip.appendText(damaged.message);
  item.tooltip = tooltip;
  item.contextValue = 'error;damagedWorkspace';
  item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  item.command = { command: 'vscode.open', title: 'Open State File', arguments: [vscode.Uri.file(damaged.file)] };
  return { kind: 'error', item };
}

/** A temporary child shown while an entity is being created. */
export function placeholderNode(id: string, label: string): TreeNode {
  const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
  item.id = `placeholder/${id}`;
  item.description = 'creating…';
  item.contextValue = 'placeholder';
  item.iconPath = new vscode.ThemeIcon('loading~spin');
  return { kind: 'placeholder', item };
}

export function tooltipTable(title: string, rows: Array<[string, string | undefined]>): vscode.MarkdownString {
  const md = new vscode.MarkdownString(`**${escapeMd(title)}**\n\n`);
  md.appendMarkdown(
    rows
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `- ${escapeMd(k)}: ${escapeMd(v!)}`)
      .join('\n'),
  );
  return md;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
