// Status bar: emulator state and the active workspace; click → quick actions.
import * as vscode from 'vscode';
import type { AccelContext } from './accelContext';

const ICON = {
  stopped: '$(circle-slash)',
  starting: '$(loading~spin)',
  running: '$(circuit-board)',
  failed: '$(error)',
} as const;

export function createStatusBar(ctx: AccelContext, subscriptions: vscode.Disposable[]): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('accel.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Accelerated Models';
  item.command = 'accel.showQuickActions';
  const update = async () => {
    const ws = await ctx.activeWorkspace().catch(() => undefined);
    const state = ctx.emulator.state;
    item.text = `${ICON[state]} Accel: ${ws ?? 'no workspace'}`;
    const services = ctx.emulator.status?.services.length ?? 0;
    item.tooltip = `Accelerated Models\nWorkspace: ${ws ?? '(none)'}\nEmulator: ${state}${state === 'running' ? ` (${services} service${services === 1 ? '' : 's'} loaded)` : ''}${ctx.emulator.error ? `\n${ctx.emulator.error}` : ''}\nStore: ${ctx.home}\nClick for quick actions`;
    item.backgroundColor = state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    item.show();
  };
  subscriptions.push(item, ctx.emulator.onDidChange(update), ctx.onDidChangeStore(update));
  void update();
  return item;
}
