// Shared behaviour of the four trees: refresh on events, error nodes instead of exceptions, and temporary
// "creating…" children / "deleting…" descriptions while a command works on an entity.
import * as vscode from 'vscode';
import type { AccelContext } from '../accelContext';
import { errorNode, placeholderNode, type TreeNode } from './treeNode';

export abstract class BaseTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly creating = new Map<string, string>();
  private readonly busy = new Map<string, string>();
  /** Each node's parent, as getChildren returned them (what TreeView.reveal walks up through getParent). */
  private readonly parents = new WeakMap<TreeNode, TreeNode>();
  protected readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    readonly viewId: string,
    protected readonly ctx: AccelContext,
  ) {
    this.disposables.push(ctx.onDidChangeStore(() => this.refresh()));
  }

  refresh(): void {
    this.changed.fire();
  }

  protected abstract roots(): Promise<TreeNode[]>;

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const busy = node.item.id ? this.busy.get(node.item.id) : undefined;
    if (!busy) return node.item;
    const copy = Object.assign(new vscode.TreeItem(node.item.label ?? ''), node.item);
    copy.description = busy;
    copy.iconPath = new vscode.ThemeIcon('loading~spin');
    return copy;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    const parentId = node?.item.id ?? this.viewId;
    try {
      const children = node ? ((await node.children?.()) ?? []) : await this.roots();
      if (!node) for (const [id, label] of this.creating) children.push(placeholderNode(id, label));
      if (node) for (const c of children) this.parents.set(c, node);
      return children;
    } catch (e) {
      this.ctx.log.error(`${this.viewId}: ${(e as Error).message}`);
      return [errorNode(parentId, e)];
    }
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.parents.get(node);
  }

  /** Shows a spinning placeholder at the root while `work` creates something. */
  async whileCreating<T>(label: string, work: () => Promise<T>): Promise<T> {
    const key = `${label}#${Date.now()}`;
    this.creating.set(key, label);
    this.refresh();
    try {
      return await work();
    } finally {
      this.creating.delete(key);
      this.refresh();
    }
  }

  /** Marks a node as busy ("deleting…") while `work` runs. */
  async whileBusy<T>(node: TreeNode | undefined, text: string, work: () => Promise<T>): Promise<T> {
    const id = node?.item.id;
    if (id) {
      this.busy.set(id, text);
      this.changed.fire(node);
    }
    try {
      return await work();
    } finally {
      if (id) this.busy.delete(id);
      this.refresh();
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
