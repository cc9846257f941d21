// Creates the four views of the "Accelerated Models" container; each view refreshes on its own (see BaseTree).
import * as vscode from 'vscode';
import type { AccelContext } from '../accelContext';
import type { BaseTree } from './baseTree';
import { ImagesTree } from './imagesTree';
import { ModelsTree } from './modelsTree';
import { ServicesTree } from './servicesTree';
import type { TreeNode } from './treeNode';
import { WorkspacesTree } from './workspacesTree';

export interface Trees {
  workspaces: WorkspacesTree;
  models: ModelsTree;
  images: ImagesTree;
  services: ServicesTree;
  /** The views, for reveal (Reveal Dependents). */
  views: Record<'workspaces' | 'models' | 'images' | 'services', vscode.TreeView<TreeNode>>;
  /** Refreshes every view (each when visible), e.g. the views' Refresh button. */
  refreshAll(reason?: string): void;
}

export function createTrees(ctx: AccelContext, subscriptions: vscode.Disposable[]): Trees {
  const workspaces = new WorkspacesTree('accel.workspaces', ctx, 'allWorkspaces');
  const models = new ModelsTree('accel.models', ctx);
  const images = new ImagesTree('accel.images', ctx);
  const services = new ServicesTree('accel.services', ctx);
  const view = (tree: BaseTree) => {
    const v = vscode.window.createTreeView(tree.viewId, {
      treeDataProvider: tree,
      showCollapseAll: tree !== workspaces,
      canSelectMany: false,
    });
    tree.attach(v);
    subscriptions.push(tree, v);
    return v;
  };
  const views = {
    workspaces: view(workspaces),
    models: view(models),
    images: view(images),
    services: view(services),
  };
  return {
    workspaces,
    models,
    images,
    services,
    views,
    refreshAll: (reason = 'refresh requested') =>
      [workspaces, models, images, services].forEach((t) => t.refresh(reason)),
  };
}
