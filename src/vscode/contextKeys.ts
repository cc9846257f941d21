// Context keys that menus' `when` clauses read and that no view owns. `accel.hasService`: the active workspace
// has a service, so the Explorer offers folder scoring only once there is something to score with. Kept current
// from the store watcher (CLI and other windows included), so it holds before any of our views is opened.
import * as vscode from 'vscode';
import type { AccelContext } from './accelContext';

export function trackContextKeys(ctx: AccelContext, subscriptions: vscode.Disposable[]): void {
  let last: boolean | undefined;
  const update = async () => {
    let has = false;
    try {
      const ws = await ctx.activeWorkspace();
      has = ws ? (await ctx.store.read(ws)).services.length > 0 : false;
    } catch (e) {
      ctx.log.warn(`cannot read the active workspace for the accel.hasService context key: ${(e as Error).message}`);
    }
    if (has === last) return;
    last = has;
    await vscode.commands.executeCommand('setContext', 'accel.hasService', has);
  };
  subscriptions.push(ctx.onDidChangeStore(() => void update()));
  void update();
}
