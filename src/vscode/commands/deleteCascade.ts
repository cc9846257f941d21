// What a delete refused because of dependents offers: accel.deleteWithDependents (a modal listing exactly what
// goes, then the single deletes in dependency order, stopping at the first failure and saying what was deleted)
// and accel.revealDependents (selects the first entity that blocks the delete in its tree view).
import * as vscode from 'vscode';
import { directDependents, type Dependent } from '../../core/dependencies';
import { deletePlan } from '../../core/deletePlan';
import { AccelError } from '../../domain/errors';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { withProgress, type CommandRunner } from './commandRunner';
import type { DependentsTarget } from './errorActions';
import { removeImage } from './imageCommands';
import { removeModel } from './modelCommands';
import { removeService } from './serviceCommands';

function parseTarget(raw: unknown): DependentsTarget {
  // From the Models or Images view's context menu the argument is the tree node.
  const node = raw as Partial<TreeNode> | undefined;
  if (node?.ws && node.kind === 'modelVersion' && node.model)
    return { workspace: node.ws, kind: 'model', id: node.model.id };
  if (node?.ws && node.kind === 'imageVersion' && node.image)
    return { workspace: node.ws, kind: 'image', id: node.image.id };
  const t = raw as Partial<DependentsTarget> | undefined;
  if (
    typeof t?.workspace !== 'string' ||
    typeof t.id !== 'string' ||
    (t.kind !== 'model' && t.kind !== 'image' && t.kind !== 'service')
  )
    throw new AccelError(
      'InvalidArgument',
      'Choose Delete with Dependents from a refused delete, or from a tree item.',
    );
  return { workspace: t.workspace, kind: t.kind, id: t.id };
}

const sameSteps = (a: Dependent[], b: Dependent[]) =>
  a.length === b.length && a.every((d, i) => d.kind === b[i].kind && d.id === b[i].id);

/** Finds the node of `ref` in its tree (walking every level, so getParent knows the chain for reveal). */
async function findNode(trees: Trees, ref: Dependent): Promise<{ view: vscode.TreeView<TreeNode>; node: TreeNode }> {
  const [tree, view] =
    ref.kind === 'service'
      ? [trees.services, trees.views.services]
      : ref.kind === 'image'
        ? [trees.images, trees.views.images]
        : [trees.models, trees.views.models];
  const matches = (n: TreeNode) =>
    ref.kind === 'service'
      ? n.service?.name === ref.id
      : ref.kind === 'image'
        ? n.image?.id === ref.id
        : n.model?.id === ref.id;
  const walk = async (parent?: TreeNode): Promise<TreeNode | undefined> => {
    for (const n of await tree.getChildren(parent)) {
      if (matches(n)) return n;
      const found = n.children ? await walk(n) : undefined;
      if (found) return found;
    }
    return undefined;
  };
  const node = await walk();
  if (!node)
    throw new AccelError(
      'NotFound',
      `${ref.label} is no longer in the ${ref.kind === 'model' ? 'Models' : ref.kind === 'image' ? 'Images' : 'Services'} view.`,
    );
  return { view, node };
}

export function registerDeleteCascade(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.deleteWithDependents', async (raw: unknown) => {
    const target = parseTarget(raw);
    const ws = target.workspace;
    const plan = deletePlan(await ctx.store.read(ws), target);
    const self = plan[plan.length - 1];
    const confirmed = await ctx.ui.confirm(
      `Delete ${self.label} and ${plan.length - 1} ${plan.length === 2 ? 'entity' : 'entities'} that depend on it?`,
      `These are deleted, in this order:\n${plan.map((d, i) => `${i + 1}. ${d.label}`).join('\n')}\n\nThis cannot be undone.`,
      'Delete All',
    );
    if (!confirmed) return undefined;
    // Someone (the CLI, another window) may have changed the workspace while the question was open.
    const now = deletePlan(await ctx.store.read(ws), target);
    if (!sameSteps(plan, now))
      throw new AccelError(
        'InvalidArgument',
        `What depends on ${self.label} changed while you confirmed (it is now: ${now.map((d) => d.label).join(', ')}). Nothing was deleted; choose Delete with Dependents again.`,
      );
    const deleted: string[] = [];
    await withProgress(
      `Deleting ${self.label} with its dependents`,
      async (progress) => {
        for (const [i, step] of plan.entries()) {
          progress.report({ message: step.label, fraction: i / plan.length });
          try {
            if (step.kind === 'service') {
              const service = (await ctx.store.read(ws)).services.find((s) => s.name === step.id);
              if (!service) throw new AccelError('NotFound', `Service ${step.id} no longer exists.`);
              await removeService(ctx, trees, ws, service);
            } else if (step.kind === 'image') await removeImage(ctx, trees, ws, step.id);
            else await removeModel(ctx, trees, ws, step.id);
          } catch (e) {
            const done = deleted.length ? `Deleted ${deleted.join(', ')}; then ` : '';
            throw new AccelError(
              e instanceof AccelError ? e.code : 'Internal',
              `${done}deleting ${step.label} failed: ${(e as Error).message} Nothing after it was deleted (${plan
                .slice(i + 1)
                .map((d) => d.label)
                .join(', ')} remain).`,
            );
          }
          deleted.push(step.label);
        }
      },
      false,
    );
    ctx.log.info(`deleted with dependents: ${deleted.join(', ')}`);
    void vscode.window.showInformationMessage(`Deleted ${deleted.join(', ')}.`);
    return deleted;
  });

  run.register('accel.revealDependents', async (raw: unknown) => {
    const target = parseTarget(raw);
    const state = await ctx.store.read(target.workspace);
    const [first] = directDependents(state, target);
    if (!first)
      throw new AccelError('NotFound', `Nothing depends on ${target.kind} ${target.id} any more: delete it again.`);
    if ((await ctx.activeWorkspace()) !== target.workspace)
      throw new AccelError(
        'InvalidArgument',
        `${first.label} is in workspace ${target.workspace}; select that workspace in the Workspaces view to see it.`,
      );
    const { view, node } = await findNode(trees, first);
    await view.reveal(node, { select: true, focus: true, expand: true });
    return first;
  });
}
