// Shared by the extension-host tests: the activated extension's test API, the scripted input, and data paths.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestApi } from '../../../src/extension';
import type { TreeNode } from '../../../src/vscode/trees/treeNode';
import { ScriptedInput } from './scriptedInput';

export const EXTENSION_ID = 'accel-models.accelerated-models';
export const sharedDir = process.env.ACCEL_SHARED ?? path.resolve(__dirname, '../../../shared');
export const mobilenetPath = path.join(sharedDir, 'data/models/onnx/mobilenetv2-12-int8.onnx');

let api: TestApi | undefined;
export const input = new ScriptedInput();

export async function testApi(): Promise<TestApi> {
  if (api) return api;
  const ext = vscode.extensions.getExtension<TestApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  api = (await ext.activate()) ?? undefined;
  if (!api) throw new Error('the extension returned no test API: is VSCODE_RUNNING_TESTS set in the extension host?');
  api.setUserInput(input);
  return api;
}

export function photosDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('the test workspace folder is not open');
  return path.join(folder, 'photos');
}

/** Runs a command; fails with the command's own error message when the error wrapper caught one. */
export async function exec<T>(command: string, ...args: unknown[]): Promise<T> {
  const a = await testApi();
  const result = await vscode.commands.executeCommand<T>(command, ...args);
  if (a.runner.lastError) throw new Error(`${command} failed: ${a.runner.lastError.message}`);
  return result;
}

/** Runs a command that must fail; returns the error the wrapper caught. */
export async function execFailing(command: string, ...args: unknown[]): Promise<{ message: string; code?: string }> {
  const a = await testApi();
  await vscode.commands.executeCommand(command, ...args);
  if (!a.runner.lastError) throw new Error(`${command} was expected to fail but succeeded`);
  return a.runner.lastError;
}

/** Flattens a tree (roots and all descendants). */
export async function flatten(provider: vscode.TreeDataProvider<TreeNode>, node?: TreeNode): Promise<TreeNode[]> {
  const children = (await provider.getChildren(node)) ?? [];
  const out: TreeNode[] = [];
  for (const c of children) out.push(c, ...(c.children ? await flatten(provider, c) : []));
  return out;
}

export function label(n: TreeNode): string {
  const l = n.item.label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

/** Waits for a tree change event (the store watcher fires on commits by any process). */
export function nextChange(provider: vscode.TreeDataProvider<TreeNode>): Promise<void> {
  return new Promise((resolve) => {
    const sub = provider.onDidChangeTreeData!(() => {
      sub.dispose();
      resolve();
    });
  });
}

/**
 * Cancels the first progress whose title matches `title` once it reports a message matching `message`, the way
 * the notification's Cancel button does (the progress token is cancelled). Deterministic: it happens at that step.
 */
export async function cancelProgressAt(
  title: RegExp,
  message: RegExp,
): Promise<{ readonly fired: boolean; dispose(): void }> {
  const a = await testApi();
  let fired = false;
  a.setProgressObserver((t, update, cancel) => {
    if (fired || !title.test(t) || update.message === undefined || !message.test(update.message)) return;
    fired = true;
    cancel();
  });
  return {
    get fired() {
      return fired;
    },
    dispose: () => a.setProgressObserver(undefined),
  };
}
