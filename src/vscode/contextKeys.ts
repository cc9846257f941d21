// Context keys that menus' `when` clauses and the walkthrough read, and that no view owns. Kept current from the
// store watcher and the emulator's status (so work done through the CLI or another window counts too), and set at
// activation, so they hold before any of our views is opened.
//   accel.hasService    the active workspace has a service: the Explorer offers folder scoring.
//   accel.hasModel      the active workspace has a registered model (walkthrough step "Add a model").
//   accel.hasConverted  it has a converted model (step "Convert for the accelerator").
//   accel.hasScored     one of its services has answered a Predict (step "Right-click a photo").
import * as vscode from 'vscode';
import type { AccelContext } from './accelContext';
import { stateKeys } from './stateKeys';

export function trackContextKeys(ctx: AccelContext, subscriptions: vscode.Disposable[]): void {
  const last = new Map<string, boolean>();
  // A service that once answered keeps its step done, though a restarted host counts its requests from zero.
  let scored = false;
  const update = async () => {
    let state;
    let ws: string | undefined;
    try {
      ws = await ctx.activeWorkspace();
      state = ws ? await ctx.store.read(ws) : undefined;
    } catch (e) {
      ctx.log.warn(`cannot read the active workspace for the accel.* context keys: ${(e as Error).message}`);
    }
    const keys = stateKeys(state, ws, ctx.emulator.status);
    scored ||= keys['accel.hasScored'];
    keys['accel.hasScored'] = scored;
    for (const [key, value] of Object.entries(keys)) {
      if (last.get(key) === value) continue;
      last.set(key, value);
      await vscode.commands.executeCommand('setContext', key, value);
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
