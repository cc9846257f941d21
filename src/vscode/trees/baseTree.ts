// Shared behaviour of the four trees: refresh per view on events (with a reason, debounced, only while the view is
// visible; a hidden view marks itself stale and refreshes when shown), error nodes instead of exceptions, and
// temporary "creating…" children / "deleting…" descriptions while a command works on an entity. The rule for every
// tree: getChildren reads the local store, never the network; live state is pushed as change events.
import * as vscode from 'vscode';
import type { AccelContext } from '../accelContext';
import { errorNode, placeholderNode, type TreeNode } from './treeNode';
import { affects, describeStoreChange, ViewRefresh, type StoreChange, type ViewScope } from './viewRefresh';

export abstract class BaseTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly creating = new Map<string, string>();
  private readonly busy = new Map<string, string>();
  /** Each node's parent, as getChildren returned them (what TreeView.reveal walks up through getParent). */
  private readonly parents = new WeakMap<TreeNode, TreeNode>();
  protected readonly disposables: vscode.Disposable[] = [this.changed];
  private view?: vscode.TreeView<TreeNode>;
  private readonly refresher: ViewRefresh;
  /** The workspace the roots were last read for (views of the active workspace). */
  private shownWorkspace?: string;

  constructor(
    readonly viewId: string,
    protected readonly ctx: AccelContext,
    /** Which store changes this view shows: the active workspace's (default), or any workspace's. */
    private readonly scope: ViewScope = 'activeWorkspace',
  ) {
    this.refresher = new ViewRefresh(viewId, {
      fire: () => this.changed.fire(),
      visible: () => this.view?.visible ?? true,
      trace: (m) => ctx.log.trace(m),
    });
    this.disposables.push(
      this.refresher,
      ctx.onDidChangeStore((change) => {
        if (this.affectedBy(change)) this.refresh(describeStoreChange(change));
      }),
    );
  }

  /** Whether a store change touches what this view shows. */
  affectedBy(change: StoreChange): boolean {
    return affects(change, this.scope, this.shownWorkspace);
  }

  /** Lets the view's visibility decide when refreshes happen (createTrees attaches each view). */
  attach(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
    this.disposables.push(view.onDidChangeVisibility(({ visible }) => visible && this.refresher.shown()));
  }

  /**
   * Asks for a refresh with a reason (logged at trace level). Requests within REFRESH_DELAY_MS make one refresh; a
   * hidden view marks itself stale instead and refreshes when it becomes visible.
   */
  refresh(reason = 'refresh requested'): void {
    this.refresher.request(reason);
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
      if (!node && this.scope === 'activeWorkspace') this.shownWorkspace = await this.ctx.activeWorkspace();
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
    this.refresh(`creating ${label}`);
    try {
      return await work();
    } finally {
      this.creating.delete(key);
      this.refresh(`created ${label}`);
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
      this.refresh(`${text.replace(/…$/, '')} done`);
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
