// Every question the extension asks goes through UserInput, so wizards have one Back/cancel behaviour and the
// extension-host tests can answer them with a script (a prompt nobody scripted fails the test instead of hanging).
import * as vscode from 'vscode';
import { AccelError } from '../domain/errors';
import { BACK, type Back } from './wizard';

export { BACK, type Back };

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  picked?: boolean;
  value: T;
}

export interface StepInfo {
  title: string;
  step?: number;
  totalSteps?: number;
  /** Shows the Back button (wizard steps after the first). */
  canGoBack?: boolean;
}

export interface PickOptions<T> extends StepInfo {
  placeholder?: string;
  items: PickItem<T>[];
}

export interface InputOptions extends StepInfo {
  prompt: string;
  value?: string;
  placeholder?: string;
  password?: boolean;
  /** Returns the problem with the value (shown under the box), or undefined when it is fine. */
  validate?: (value: string) => string | undefined;
}

export interface UserInput {
  pick<T>(options: PickOptions<T>): Promise<T | Back>;
  pickMany<T>(options: PickOptions<T>): Promise<T[] | Back>;
  input(options: InputOptions): Promise<string | Back>;
  /** A modal question with one action; false when dismissed. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[]>;
  saveDialog(options: vscode.SaveDialogOptions): Promise<vscode.Uri>;
}

/** The user dismissed a prompt: the command stops quietly (not an error). */
export class UserCancelled extends AccelError {
  constructor() {
    super('Cancelled', 'Cancelled.');
  }
}

export function isUserCancelled(e: unknown): boolean {
  // Duck-typed: errors may come from another bundle's copy of AccelError.
  return (
    e instanceof vscode.CancellationError || (e instanceof Error && (e as { code?: unknown }).code === 'Cancelled')
  );
}

function stepTitle(o: StepInfo): string {
  return o.title;
}

/** "Step n of m" only for wizards of more than one step (a one-step wizard shows no counter). */
function stepCount(o: StepInfo): { step?: number; totalSteps?: number } {
  return o.totalSteps && o.totalSteps > 1 ? { step: o.step, totalSteps: o.totalSteps } : {};
}

/** Accept, Back and hide can all fire for one input: the first settles the promise, then the input is disposed. */
function settleOnce(input: { dispose(): void }): (settle: () => void) => void {
  let done = false;
  return (settle) => {
    if (done) return;
    done = true;
    settle();
    input.dispose();
  };
}

export class VsCodeUserInput implements UserInput {
  async pick<T>(o: PickOptions<T>): Promise<T | Back> {
    const r = await this.quickPick(o, false);
    return r === BACK ? BACK : r[0];
  }

  async pickMany<T>(o: PickOptions<T>): Promise<T[] | Back> {
    return this.quickPick(o, true);
  }

  private quickPick<T>(o: PickOptions<T>, many: boolean): Promise<T[] | Back> {
    type Item = vscode.QuickPickItem & { value: T };
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = stepTitle(o);
    Object.assign(qp, stepCount(o));
    qp.placeholder = o.placeholder;
    qp.canSelectMany = many;
    qp.ignoreFocusOut = true;
    qp.matchOnDescription = true;
    qp.items = o.items.map((i) => ({
      label: i.label,
      description: i.description,
      detail: i.detail,
      picked: i.picked,
      value: i.value,
    }));
    if (many) qp.selectedItems = qp.items.filter((i) => i.picked);
    if (o.canGoBack) qp.buttons = [vscode.QuickInputButtons.Back];
    return new Promise((resolve, reject) => {
      const finish = settleOnce(qp);
      qp.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(() => resolve(BACK)));
      qp.onDidAccept(() => {
        const chosen = many ? qp.selectedItems : qp.activeItems.slice(0, 1);
        if (!many && chosen.length === 0) return;
        finish(() => resolve(chosen.map((i) => i.value)));
      });
      qp.onDidHide(() => finish(() => reject(new UserCancelled())));
      qp.show();
    });
  }

  input(o: InputOptions): Promise<string | Back> {
    const box = vscode.window.createInputBox();
    box.title = stepTitle(o);
    Object.assign(box, stepCount(o));
    box.prompt = o.prompt;
    box.value = o.value ?? '';
    box.placeholder = o.placeholder;
    box.password = !!o.password;
    box.ignoreFocusOut = true;
    if (o.canGoBack) box.buttons = [vscode.QuickInputButtons.Back];
    return new Promise((resolve, reject) => {
      const finish = settleOnce(box);
      box.onDidChangeValue((v) => (box.validationMessage = o.validate?.(v)));
      box.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && finish(() => resolve(BACK)));
      box.onDidAccept(() => {
        const problem = o.validate?.(box.value);
        if (problem) {
          box.validationMessage = problem;
          return;
        }
        finish(() => resolve(box.value));
      });
      box.onDidHide(() => finish(() => reject(new UserCancelled())));
      box.show();
    });
  }

  async confirm(message: string, detail: string, action: string): Promise<boolean> {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
  }

  async openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[]> {
    const r = await vscode.window.showOpenDialog(options);
    if (!r?.length) throw new UserCancelled();
    return r;
  }

  async saveDialog(options: vscode.SaveDialogOptions): Promise<vscode.Uri> {
    const r = await vscode.window.showSaveDialog(options);
    if (!r) throw new UserCancelled();
    return r;
  }
}

/** A value from a prompt outside a wizard: Back cannot happen there, so treat it as cancel. */
export function noBack<T>(v: T | Back): T {
  if (v === BACK) throw new UserCancelled();
  return v;
}
