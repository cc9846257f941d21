// Answers the extension's prompts from a script, in order. A prompt with no scripted answer fails the test at
// once (instead of waiting forever for a person), and every answer must be used.
import * as vscode from 'vscode';
import {
  BACK,
  UserCancelled,
  type Back,
  type InputOptions,
  type PickOptions,
  type UserInput,
} from '../../../src/vscode/ui';

export type Answer =
  | { pick: string | RegExp }
  | { pickMany: Array<string | RegExp> }
  | { input: string }
  | { confirm: boolean }
  | { files: string[] }
  | { save: string }
  | { back: true }
  | { cancel: true };

export class ScriptedInput implements UserInput {
  private answers: Answer[] = [];
  readonly asked: string[] = [];

  script(...answers: Answer[]): this {
    this.answers.push(...answers);
    return this;
  }

  assertDone(): void {
    if (this.answers.length) throw new Error(`unused scripted answers: ${JSON.stringify(this.answers)}`);
  }

  private next(what: string): Answer {
    this.asked.push(what);
    const a = this.answers.shift();
    if (!a) throw new Error(`unexpected prompt: ${what}`);
    if ('cancel' in a) throw new UserCancelled();
    return a;
  }

  async pick<T>(o: PickOptions<T>): Promise<T | Back> {
    const a = this.next(`pick: ${o.title}`);
    if ('back' in a) return BACK;
    if (!('pick' in a)) throw new Error(`prompt "${o.title}" is a pick, script says ${JSON.stringify(a)}`);
    const item = o.items.find((i) => (typeof a.pick === 'string' ? i.label === a.pick : a.pick.test(i.label)));
    if (!item) throw new Error(`no item ${a.pick} in "${o.title}": ${o.items.map((i) => i.label).join(', ')}`);
    return item.value;
  }

  async pickMany<T>(o: PickOptions<T>): Promise<T[] | Back> {
    const a = this.next(`pickMany: ${o.title}`);
    if ('back' in a) return BACK;
    if (!('pickMany' in a)) throw new Error(`prompt "${o.title}" is a multi-pick, script says ${JSON.stringify(a)}`);
    return a.pickMany.map((m) => {
      const item = o.items.find((i) => (typeof m === 'string' ? i.label === m : m.test(i.label)));
      if (!item) throw new Error(`no item ${m} in "${o.title}"`);
      return item.value;
    });
  }

  async input(o: InputOptions): Promise<string | Back> {
    const a = this.next(`input: ${o.title}`);
    if ('back' in a) return BACK;
    if (!('input' in a)) throw new Error(`prompt "${o.title}" is an input box, script says ${JSON.stringify(a)}`);
    const problem = o.validate?.(a.input);
    if (problem) throw new Error(`input "${a.input}" rejected by "${o.title}": ${problem}`);
    return a.input;
  }

  async confirm(message: string): Promise<boolean> {
    const a = this.next(`confirm: ${message}`);
    if (!('confirm' in a)) throw new Error(`prompt "${message}" is a confirmation, script says ${JSON.stringify(a)}`);
    return a.confirm;
  }

  async openDialog(o: vscode.OpenDialogOptions): Promise<vscode.Uri[]> {
    const a = this.next(`open: ${o.title}`);
    if (!('files' in a)) throw new Error(`prompt "${o.title}" is a file dialog, script says ${JSON.stringify(a)}`);
    return a.files.map((f) => vscode.Uri.file(f));
  }

  async saveDialog(o: vscode.SaveDialogOptions): Promise<vscode.Uri> {
    const a = this.next(`save: ${o.title}`);
    if (!('save' in a)) throw new Error(`prompt "${o.title}" is a save dialog, script says ${JSON.stringify(a)}`);
    return vscode.Uri.file(a.save);
  }
}
