// accel workspace create|list|use|delete
import type { Command } from 'commander';
import { createWorkspace, deleteWorkspace, listWorkspaces, useWorkspace } from '../../core/workspaces';
import { action, nounCommand } from '../context';
import { printJson, printLine, printTable } from '../output';

export function register(program: Command): void {
  const ws = nounCommand(program, 'workspace', 'Create, list, select and delete local workspaces');

  ws.command('create <name>')
    .description('create a local workspace (the first one becomes active)')
    .option('-d, --description <text>', 'a description')
    .option('--use', 'make it the active workspace')
    .action(
      action(async (ctx, name: string, opts: { description?: string; use?: boolean }) => {
        const created = await createWorkspace(ctx.store, name, opts.description);
        if (opts.use) await useWorkspace(ctx.store, name);
        const active = (await ctx.store.getActiveWorkspace()) === name;
        if (ctx.json) printJson({ ...created, active, home: ctx.store.home });
        else printLine(`Created workspace ${name}${active ? ' (active)' : ''} in ${ctx.store.home}.`);
      }),
    );

  ws.command('list')
    .description('list the workspaces in ACCEL_HOME; * marks the active one')
    .action(
      action(async (ctx) => {
        const list = await listWorkspaces(ctx.store);
        // A damaged workspace is listed (and explained on stderr), never hidden and never rewritten.
        const damaged = await ctx.store.listDamagedWorkspaces();
        if (ctx.json)
          return printJson([
            ...list,
            ...damaged.map((d) => ({ name: d.name, damaged: true, code: d.code, error: d.message, file: d.file })),
          ]);
        const rows = [
          ...list.map((w) => ({
            mark: w.active ? '*' : '',
            name: w.name,
            state: 'ok',
            created: w.createdTime,
            description: w.description,
          })),
          ...damaged.map((d) => ({
            mark: '!',
            name: d.name,
            state: d.code === 'SchemaTooNew' ? 'NEWER SCHEMA' : 'DAMAGED',
            created: undefined,
            description: undefined,
          })),
        ].sort((a, b) => a.name.localeCompare(b.name));
        printTable(
          rows,
          [
            { header: '', value: (w) => w.mark },
            { header: 'NAME', value: (w) => w.name },
            { header: 'STATE', value: (w) => w.state },
            { header: 'CREATED', value: (w) => w.created },
            { header: 'DESCRIPTION', value: (w) => w.description },
          ],
          `No workspaces in ${ctx.store.home}. Create one with \`accel workspace create NAME\`.`,
        );
        for (const d of damaged) {
          process.stderr.write(
            `warning: workspace ${d.name} cannot be read and is skipped (the others work; it is left unchanged): ${d.message}\n`,
          );
        }
      }),
    );

  ws.command('use <name>')
    .description('make a workspace the active one (used when --workspace is not given)')
    .action(
      action(async (ctx, name: string) => {
        await useWorkspace(ctx.store, name);
        if (ctx.json) printJson({ active: name });
        else printLine(`Workspace ${name} is now active.`);
      }),
    );

  ws.command('delete <name>')
    .description(
      'delete a workspace; refused while it has services, and needs --force while it holds models, images or computes',
    )
    .option('--force', 'also delete the models, images and computes it holds')
    .action(
      action(async (ctx, name: string, opts: { force?: boolean }) => {
        await deleteWorkspace(ctx.store, name, { force: opts.force });
        if (ctx.json) printJson({ deleted: name });
        else printLine(`Deleted workspace ${name}.`);
      }),
    );
}
