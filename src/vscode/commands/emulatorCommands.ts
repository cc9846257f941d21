// accel.emulator.start / stop / showLog, accel.showLog, accel.views.refresh and the status bar's quick actions.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { AccelError } from '../../domain/errors';
import type { AccelContext } from '../accelContext';
import type { Trees } from '../trees/trees';
import { noBack } from '../ui';
import { withProgress, type CommandRunner } from './commandRunner';

export function registerEmulatorCommands(run: CommandRunner, ctx: AccelContext, trees: Trees): void {
  run.register('accel.emulator.start', async () => {
    const client = await withProgress('Starting the accelerator emulator', () => ctx.emulator.ensureRunning(), false);
    await ctx.emulator.refreshStatus();
    return { pid: client.info.pid, devices: client.info.devices };
  });

  run.register('accel.emulator.stop', async () => {
    await withProgress('Stopping the accelerator emulator', () => ctx.emulator.stop(), false);
    return true;
  });

  run.register('accel.emulator.showLog', async () => {
    const file = ctx.emulator.logPath;
    if (!fs.existsSync(file))
      throw new AccelError(
        'NotFound',
        `The emulator has not written a log yet (${file}). Run "Accelerated Models: Start Emulator" first.`,
      );
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
    return file;
  });

  run.register('accel.showLog', () => ctx.log.show(true));

  run.register('accel.views.refresh', async () => {
    await ctx.emulator.detect();
    trees.refreshAll('user refresh');
  });

  run.register('accel.showQuickActions', async () => {
    const running = ctx.emulator.state === 'running';
    const action = noBack(
      await ctx.ui.pick<string>({
        title: 'Accelerated Models',
        items: [
          running
            ? { label: '$(debug-stop) Stop Emulator', value: 'accel.emulator.stop' }
            : { label: '$(debug-start) Start Emulator', value: 'accel.emulator.start' },
          { label: '$(folder-library) Select Workspace…', value: 'accel.workspace.select' },
          { label: '$(rocket) Deploy the Sample Model', value: 'accel.sample.deploy' },
          { label: '$(sparkle) Score Image…', value: 'accel.score.image' },
          { label: '$(output) Show Emulator Log', value: 'accel.emulator.showLog' },
          { label: '$(output) Show Extension Log', value: 'accel.showLog' },
        ],
      }),
    );
    return vscode.commands.executeCommand(action);
  });
}
