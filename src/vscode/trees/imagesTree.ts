// Images view: image name → versions (state, model).
import * as vscode from 'vscode';
import { BaseTree } from './baseTree';
import { tooltipTable, type TreeNode } from './treeNode';

export class ImagesTree extends BaseTree {
  protected async roots(): Promise<TreeNode[]> {
    const ws = await this.ctx.activeWorkspace();
    if (!ws) return [];
    const state = await this.ctx.store.read(ws);
    const names = [...new Set(state.images.map((i) => i.name))].sort();
    return names.map((name) => {
      const versions = state.images.filter((i) => i.name === name).sort((a, b) => b.version - a.version);
      const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `images/${ws}/${name}`;
      item.description = `${versions.length} version${versions.length === 1 ? '' : 's'}`;
      item.iconPath = new vscode.ThemeIcon('package');
      item.contextValue = 'imageName';
      return {
        kind: 'imageName' as const,
        ws,
        name,
        item,
        children: async () =>
          versions.map((image) => {
            const v = new vscode.TreeItem(image.id, vscode.TreeItemCollapsibleState.None);
            v.id = `images/${ws}/id/${image.id}`;
            const built = image.build?.state === 'Succeeded' ? image.build.location : undefined;
            v.description = `${image.state} · ${image.modelId}${built ? ` · ${built}` : image.build ? ' · build failed' : ''}`;
            // A built container image gets the VM icon: it runs as a container (Deploy → container target).
            v.iconPath = new vscode.ThemeIcon(
              image.state !== 'Succeeded' || image.build?.state === 'Failed' ? 'warning' : built ? 'vm' : 'package',
            );
            v.contextValue = `imageVersion;${image.state}${built ? ';built' : ''}`;
            v.tooltip = tooltipTable(image.id, [
              ['state', image.state],
              ['model', image.modelId],
              ['digest', `sha256:${image.digest}`],
              ['container image', built ?? (image.build ? `build failed: ${image.build.error}` : 'not built')],
              ['description', image.description],
              ['created', image.createdTime],
            ]);
            return { kind: 'imageVersion' as const, ws, image, item: v };
          }),
      };
    });
  }
}
