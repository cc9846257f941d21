// Creates the four views of the "Accelerated Models" container.
import * as vscode from 'vscode';
import type { AccelContext } from '../accelContext';
import { ImagesTree } from './imagesTree';
import { ModelsTree } from './modelsTree';
import { ServicesTree } from './servicesTree';
import { WorkspacesTree } from './workspacesTree';

export interface Trees {
  workspaces: WorkspacesTree;
  models: ModelsTree;
  images: ImagesTree;
  services: ServicesTree;
  refreshAll(): void;
}

export function createTrees(ctx: AccelContext, subscriptions: vscode.Disposable[]): Trees {
  const workspaces = new WorkspacesTree('accel.workspaces', ctx);
  const models = new ModelsTree('accel.models', ctx);
  const images = new ImagesTree('accel.images', ctx);
  const services = new ServicesTree('accel.services', ctx);
  for (const tree of [workspaces, models, images, services]) {
    subscriptions.push(
      tree,
      vscode.window.createTreeView(tree.viewId, {
        treeDataProvider: tree,
        showCollapseAll: tree !== workspaces,
        canSelectMany: false,
      }),
    );
  }
  return {
    workspaces,
    models,
    images,
    services,
    refreshAll: () => [workspaces, models, images, services].forEach((t) => t.refresh()),
  };
}
