// Composition root: builds the context, trees, commands, status bar. Activation runs once start-up has finished
// (so the menus' context keys hold from the first right-click) and stays cheap: no onnxruntime, no emulator
// start — only a store watcher and a health probe of an already running emulator.
import * as vscode from 'vscode';
import { AccelContext } from './vscode/accelContext';
import { registerAzure } from './vscode/azure/azureCommands';
import { registerComputeCommands } from './vscode/azure/computeCommands';
import { registerBenchmarkCommand } from './vscode/commands/benchmarkCommand';
import { registerClassifierCommands } from './vscode/commands/classifierCommand';
import { CommandRunner, setProgressObserver, type ProgressObserver } from './vscode/commands/commandRunner';
import { commandTableProblems } from './vscode/commands/commandTable';
import { registerConvertCommand } from './vscode/commands/convertCommand';
import { registerDeleteCascade } from './vscode/commands/deleteCascade';
import { registerEmulatorCommands } from './vscode/commands/emulatorCommands';
import { registerImageCommands } from './vscode/commands/imageCommands';
import { registerModelCommands } from './vscode/commands/modelCommands';
import { registerScoreCommands } from './vscode/commands/scoreCommands';
import { registerServiceCommands } from './vscode/commands/serviceCommands';
import { registerWorkspaceCommands } from './vscode/commands/workspaceCommands';
import { ResultPanel } from './vscode/panels/resultPanel';
import { markReady, trackContextKeys } from './vscode/contextKeys';
import { createStatusBar } from './vscode/statusBar';
import { createTrees } from './vscode/trees/trees';
import type { UserInput } from './vscode/ui';

/** What the extension-host tests reach through `extension.exports` (only when VSCODE_RUNNING_TESTS is set). */
export interface TestApi {
  ctx: AccelContext;
  trees: ReturnType<typeof createTrees>;
  runner: CommandRunner;
  setUserInput(ui: UserInput): void;
  /** Sees every progress report and may cancel it (what the notification's Cancel button does). */
  setProgressObserver(o: ProgressObserver | undefined): void;
  panel: typeof ResultPanel;
}

export function activate(context: vscode.ExtensionContext): TestApi | undefined {
  const log = vscode.window.createOutputChannel('Accelerated Models', { log: true });
  const ctx = new AccelContext(context, log);
  context.subscriptions.push(log, ctx);
  const trees = createTrees(ctx, context.subscriptions);
  const runner = new CommandRunner(ctx, context.subscriptions);
  registerWorkspaceCommands(runner, ctx, trees);
  registerModelCommands(runner, ctx, trees);
  registerConvertCommand(runner, ctx, trees);
  registerImageCommands(runner, ctx, trees);
  registerServiceCommands(runner, ctx, trees);
  registerDeleteCascade(runner, ctx, trees);
  registerScoreCommands(runner, ctx);
  registerBenchmarkCommand(runner, ctx);
  registerClassifierCommands(runner, ctx, trees);
  registerEmulatorCommands(runner, ctx, trees);
  const azure = registerAzure(runner, ctx, context.subscriptions, (reason) => trees.workspaces.refresh(reason));
  trees.workspaces.azureRoots = (hasLocal) => azure.rootNodes(hasLocal);
  registerComputeCommands(runner, ctx, trees, azure.session);
  for (const problem of commandTableProblems(runner.registered)) log.error(`command table: ${problem}`);
  createStatusBar(ctx, context.subscriptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('accel.home')) {
        void vscode.window
          .showInformationMessage(
            'The Accelerated Models store moved: reload the window to use the new accel.home.',
            'Reload Window',
          )
          .then((a) => a && vscode.commands.executeCommand('workbench.action.reloadWindow'));
      }
    }),
  );
  ctx.startWatching();
  trackContextKeys(ctx, context.subscriptions);
  markReady();
  void ctx.emulator.detect();
  log.info(`activated; store ${ctx.home}`);
  if (!process.env.VSCODE_RUNNING_TESTS) return undefined;
  return { ctx, trees, runner, setUserInput: (ui) => (ctx.ui = ui), setProgressObserver, panel: ResultPanel };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the watcher and the supervisor; the emulator host keeps serving.
}
