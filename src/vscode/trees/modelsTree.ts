// Models view: model name → versions → converted models (state, precision), for the active workspace. A converted
// model whose source was deleted stands at the root, marked "(source deleted)".
import * as vscode from 'vscode';
import { labelSetText } from '../../catalog/labels';
import { sourceDeleted } from '../../core/dependencies';
import { describePreset, presetLabel } from '../../domain/presets';
import type { Model } from '../../domain/types';
import { BaseTree } from './baseTree';
import { modelMark } from './modelMarks';
import { tooltipTable, type TreeNode } from './treeNode';

export class ModelsTree extends BaseTree {
  protected async roots(): Promise<TreeNode[]> {
    const ws = await this.ctx.activeWorkspace();
    if (!ws) return [];
    const state = await this.ctx.store.read(ws);
    const sources = state.models.filter((m) => !m.parentId || sourceDeleted(state, m));
    const names = [...new Set(sources.map((m) => m.name))].sort();
    return names.map((name) => {
      const versions = sources.filter((m) => m.name === name).sort((a, b) => b.version - a.version);
      const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `models/${ws}/${name}`;
      item.description = `${versions.length} version${versions.length === 1 ? '' : 's'}`;
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      item.contextValue = 'modelName';
      return {
        kind: 'modelName' as const,
        ws,
        name,
        item,
        children: async () => versions.map((m) => this.versionNode(ws, m, state.models)),
      };
    });
  }

  private versionNode(ws: string, model: Model, all: Model[]): TreeNode {
    const converted = all.filter((m) => m.parentId === model.id);
    const isConverted = !!model.parentId;
    const orphan = isConverted && !all.some((m) => m.id === model.parentId);
    const label = isConverted ? model.name : `${model.name}:${model.version}`;
    const item = new vscode.TreeItem(
      label,
      converted.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `models/${ws}/id/${model.id}`;
    item.description = isConverted
      ? `v${model.version} · ${model.conversion?.precision ?? 'converted'} · ${orphan ? '(source deleted)' : 'Succeeded'}`
      : `v${model.version} · ${model.framework} · ${presetLabel(model)}`;
    item.iconPath = new vscode.ThemeIcon(
      isConverted ? 'circuit-board' : model.framework === 'onnx' ? 'symbol-namespace' : 'symbol-misc',
    );
    item.contextValue = isConverted ? 'modelVersion;converted' : `modelVersion;${model.framework}`;
    const tags = Object.entries(model.tags)
      .map(([k, v]) => (v ? `${k}=${v}` : k))
      .join(', ');
    const mark = modelMark(model, all);
    if (mark) {
      item.description = `${item.description} · ${mark.description}`;
      if (mark.icon) item.iconPath = new vscode.ThemeIcon(mark.icon);
      item.contextValue += mark.context ?? '';
    }
    item.tooltip = tooltipTable(model.id, [
      ...(mark?.rows ?? []),
      ['framework', model.framework],
      ['file', `${model.fileName} (${model.sizeBytes} bytes)`],
      ['inputs', model.inputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`).join('; ')],
      ['outputs', model.outputs.map((t) => `${t.name} ${t.dtype} [${t.shape.join(',')}]`).join('; ')],
      ['preset', model.preprocessing ? describePreset(model.preprocessing) : model.preset],
      ['labels', labelSetText(model.labels)],
      ['tags', tags],
      ['description', model.description],
      ['converted from', orphan ? `${model.parentId} (source deleted)` : model.parentId],
      ['precision', model.conversion?.precision],
      ['created', model.createdTime],
    ]);
    item.command = {
      command: 'accel.model.showDetails',
      title: 'Show Model Details',
      arguments: [{ kind: 'modelVersion', ws, model, item }],
    };
    return {
      kind: 'modelVersion',
      ws,
      model,
      item,
      children: converted.length ? async () => converted.map((c) => this.versionNode(ws, c, all)) : undefined,
    };
  }
}
