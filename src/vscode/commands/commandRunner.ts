// The one wrapper every command runs in: user cancellation is quiet; any other error is logged and shown as one
// notification with the message, "Show Log", and "Retry" only when the failure is transient (errorActions.ts).
// Commands that parse model files from the folder refuse to run in an untrusted workspace. Long work runs under
// withProgress with a real cancellation signal handed down to the use cases.
import * as vscode from 'vscode';
import { isAccelError } from '../../domain/errors';
import type { CancellationSignal, ProgressReporter } from '../../domain/ports';
import type { AccelContext } from '../accelContext';
import { isUserCancelled } from '../ui';
import type { CommandId } from './commandTable';
import { actionCommand, errorActions, errorText, MANAGE_TRUST, RETRY, SIGN_IN } from './errorActions';
import { TRUST_REQUIRED, untrustedRefusal } from './trust';

export type Handler = (...args: any[]) => unknown;

export class CommandRunner {
  /** The last error a command ended with (read by the extension-host tests through the test API). */
  lastError?: { command: string; message: string; code?: string; actions: string[] };

  constructor(
    private readonly ctx: AccelContext,
    private readonly subscriptions: vscode.Disposable[],
  ) {}

  /** Every id registered, in order (checked against commandTable.ts at activation). */
  readonly registered: string[] = [];

  /** Registers a command of the table (an id missing from commandTable.ts does not compile). */
  register(id: CommandId, handler: Handler): void {
    this.registered.push(id);
    this.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => this.run(id, handler, args)));
  }

  async run(id: string, handler: Handler, args: unknown[]): Promise<unknown> {
    this.lastError = undefined;
    try {
      if (TRUST_REQUIRED.has(id) && !vscode.workspace.isTrusted) throw untrustedRefusal(id);
      return await handler(...args);
    } catch (e) {
      if (isUserCancelled(e)) {
        this.ctx.log.info(`${id}: cancelled`);
        return undefined;
      }
      const message = errorText(e);
      const actions = errorActions(e);
      this.lastError = { command: id, message, code: isAccelError(e) ? e.code : undefined, actions };
      this.ctx.log.error(
        `${id} failed: ${message}${!isAccelError(e) && e instanceof Error && e.stack ? `\n${e.stack}` : ''}`,
      );
      void vscode.window.showErrorMessage(message.split('\n')[0], ...actions, 'Show Log').then((action) => {
        const follow = action && actionCommand(action, e);
        if (follow) void vscode.commands.executeCommand(...follow);
        if (action === 'Show Log') this.ctx.log.show(true);
        if (action === RETRY) void vscode.commands.executeCommand(id, ...args);
        if (action === MANAGE_TRUST) void vscode.commands.executeCommand('workbench.trust.manage');
        if (action === SIGN_IN) void vscode.commands.executeCommand('accel.azure.signIn');
      });
      return undefined;
    }
  }
}

/**
 * Sees every progress report of every `withProgress` and may cancel it, exactly as the notification's Cancel
 * button does. Only the extension-host tests set one (through the test API): they cancel at a known step
 * instead of after a delay.
 */
export type ProgressObserver = (
  title: string,
  update: { message?: string; fraction?: number },
  cancel: () => void,
) => void;
let observer: ProgressObserver | undefined;

export function setProgressObserver(o: ProgressObserver | undefined): void {
  observer = o;
}

/** Runs `work` under a cancellable progress notification, adapting VS Code's progress and token to the core ports. */
export async function withProgress<T>(
  title: string,
  work: (progress: ProgressReporter, signal: CancellationSignal) => Promise<T>,
  cancellable = true,
): Promise<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable },
    async (progress, token) => {
      // One source for both ways to cancel: the notification's button and the test observer.
      const source = new vscode.CancellationTokenSource();
      const linked = token.onCancellationRequested(() => source.cancel());
      const cancel = () => cancellable && source.cancel();
      let last = 0;
      const reporter: ProgressReporter = {
        report: ({ message, fraction }) => {
          const increment = fraction === undefined ? undefined : Math.max(0, fraction * 100 - last);
          if (fraction !== undefined) last = fraction * 100;
          progress.report({ message, increment });
          observer?.(title, { message, fraction }, cancel);
        },
      };
      const signal: CancellationSignal = {
        get isCancellationRequested() {
          return source.token.isCancellationRequested;
        },
        onCancellationRequested: (listener) => source.token.onCancellationRequested(listener),
      };
      try {
        return await work(reporter, signal);
      } finally {
        linked.dispose();
        source.dispose();
      }
    },
  );
}
