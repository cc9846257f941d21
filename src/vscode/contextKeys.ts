// Every context key the extension sets, in one place: package.json's `when` clauses and the walkthrough read only
// these (and VS Code's own; test/unit/vscode/commandTable.test.ts checks it). The state keys are kept current from
// the store watcher and the emulator's status (so work done through the CLI or another window counts too), and set
// at activation, so they hold before any of our views is opened.
//   accel.state           'ready' once activation has registered everything (welcome views wait for it).
//   accel.hasWorkspace    the home has a workspace (the Models/Images/Services welcome views).
//   accel.emulatorState   the emulator host's state: Start or Stop in the Services view.
//   accel.azure.signedIn  signed in to Azure (set by AzureSession through setContextKey).
//   accel.hasService      the active workspace has a service: the Explorer offers folder scoring.
//   accel.hasModel        the active workspace has a registered model (walkthrough step "Add a model").
//   accel.hasConverted    it has a converted model (step "Convert for the accelerator").
//   accel.hasScored       one of its services has answered a Predict (step "Right-click a photo").
import * as vscode from 'vscode';
import type { AccelContext } from './accelContext';
import { stateKeys } from './stateKeys';

export type ContextKey =
  | 'accel.state'
  | 'accel.hasWorkspace'
  | 'accel.emulatorState'
  | 'accel.azure.signedIn'
  | 'accel.hasService'
  | 'accel.hasModel'
  | 'accel.hasConverted'
  | 'accel.hasScored';

/** Sets one of the extension's context keys. */
export function setContextKey(key: ContextKey, value: string | boolean): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', key, value);
}

/** Activation is done: views may show their welcome content. */
export function markReady(): void {
  void setContextKey('accel.state', 'ready');
}

export function trackContextKeys(ctx: AccelContext, subscriptions: vscode.Disposable[]): void {
  const last = new Map<ContextKey, string | boolean>();
  // A service that once answered keeps its step done, though a restarted host counts its requests from zero.
  let scored = false;
  const update = async () => {
    let state;
    let ws: string | undefined;
    let hasWorkspace = false;
    try {
      hasWorkspace = (await ctx.store.listWorkspaces()).length > 0;
      ws = await ctx.activeWorkspace();
      state = ws ? await ctx.store.read(ws) : undefined;
    } catch (e) {
      ctx.log.warn(`cannot read the active workspace for the accel.* context keys: ${(e as Error).message}`);
    }
    const keys: Partial<Record<ContextKey, string | boolean>> = {
      ...stateKeys(state, ws, ctx.emulator.status),
      'accel.hasWorkspace': hasWorkspace,
      'accel.emulatorState': ctx.emulator.state,
    };
    scored ||= !!keys['accel.hasScored'];
    keys['accel.hasScored'] = scored;
    for (const [key, value] of Object.entries(keys) as Array<[ContextKey, string | boolean]>) {
      if (last.get(key) === value) continue;
      last.set(key, value);
      await setContextKey(key, value);
    }
  };
  // Scoring through the CLI changes no file: until the step is done, ask the running host every 15 s whether a
  // service of the workspace has answered (one loopback call; stops once it has, or while there is no service).
  const timer = setInterval(() => {
    if (scored || !last.get('accel.hasService') || !ctx.emulator.status) return;
    void ctx.emulator.refreshStatus().then(update);
  }, 15_000);
  subscriptions.push(
    ctx.onDidChangeStore(() => void update()),
    ctx.emulator.onDidChange(() => void update()),
    { dispose: () => clearInterval(timer) },
  );
  void update();
}
