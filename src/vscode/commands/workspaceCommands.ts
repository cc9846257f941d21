// accel.workspace.create / select / delete.
import { createWorkspace, deleteWorkspace, useWorkspace } from '../../core/workspaces';
import { isValidName } from '../../domain/names';
import type { AccelContext } from '../accelContext';
import type { TreeNode } from '../trees/treeNode';
import type { Trees } from '../trees/trees';
import { BACK, runWizard } from '../wizard';
import type { CommandRunner } from './commandRunner';
import { pickWorkspace } from './pickers';

export function registerWorkspaceCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.workspace.create', async (name?: string) => {
    const existing = new Set((await ctx.store.listWorkspaces()).map((w) => w.name));
    const given = typeof name === 'string' ? name : undefined;
    const answers = await runWizard<{ name?: string }>({ name: given }, [
      {
        id: 'name',
        shouldPrompt: () => given === undefined,
        prompt: async (s, p) => {
          const r = await ctx.ui.input({
            title: 'Create Local Workspace',
            ...p,
            prompt: 'Name of the new workspace (stored in ' + ctx.home + ')',
            value: existing.size ? '' : 'default',
            placeholder: 'my-workspace',
            validate: (v) =>
              !isValidName('workspace', v)
                ? 'Use 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit.'
                : existing.has(v)
                  ? `A workspace named "${v}" already exists.`
                  : undefined,
          });
          if (r === BACK) return BACK;
          s.name = r;
        },
      },
    ]);
    const chosen = answers.name!;
    const ws = await trees.workspaces.whileCreating(chosen, () => createWorkspace(ctx.store, chosen));
    if (existing.size === 0 || !(await ctx.store.getActiveWorkspace())) await useWorkspace(ctx.store, ws.name);
    ctx.log.info(`workspace ${ws.name} created`);
    ctx.fireSoon();
    return ws;
  });

  run.register('accel.workspace.select', async (node?: TreeNode | string) => {
    const name = typeof node === 'string' ? node : (await pickWorkspace(ctx, node, 'Select Workspace')).name;
    await useWorkspace(ctx.store, name);
    ctx.log.info(`active workspace: ${name}`);
    ctx.fireSoon();
    return name;
  });

  run.register(
    'accel.workspace.delete',
    async (node?: TreeNode | string, options?: { force?: boolean; confirmed?: boolean }) => {
      const name = typeof node === 'string' ? node : (await pickWorkspace(ctx, node, 'Delete Workspace')).name;
      const state = await ctx.store.read(name);
      const holds = state.models.length + state.images.length + state.computes.length;
      const force =
        options?.force ??
        (holds > 0 && state.services.length === 0
          ? options?.confirmed ||
            (await ctx.ui.confirm(
              `Delete workspace "${name}" with ${state.models.length} model(s) and ${state.images.length} image(s)?`,
              'Its files are removed from the store. This cannot be undone.',
              'Delete',
            ))
          : false);
      if (holds > 0 && state.services.length === 0 && !force) return undefined;
      const node_ = typeof node === 'object' ? node : undefined;
      await trees.workspaces.whileBusy(node_, 'deleting…', () => deleteWorkspace(ctx.store, name, { force }));
      ctx.log.info(`workspace ${name} deleted`);
      ctx.fireSoon();
      return name;
    },
  );
}
