// The flat command table agrees with the manifest and the handler files: every contributed command is in the table
// and every table command is contributed unless it is internal; each command's file registers it, and nothing in
// src/vscode/ registers a command the table lacks; every context key a `when` clause reads is one the extension
// sets in src/vscode/contextKeys.ts (or one VS Code itself sets).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_TABLE, commandTableProblems, INTERNAL_COMMANDS } from '../../../src/vscode/commands/commandTable';

const root = path.resolve(__dirname, '..', '..', '..');
const vscodeDir = path.join(root, 'src', 'vscode');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
const table = Object.keys(COMMAND_TABLE);

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
}

/** The ids a file registers: `.register('accel.x'` literals and `.register(X_COMMANDS.key` of its own constants. */
function registeredIn(text: string): string[] {
  const constants = new Map<string, string>();
  for (const block of text.matchAll(/const (\w+_COMMANDS) = \{([^}]*)\}/g))
    for (const [, key, id] of block[2].matchAll(/(\w+):\s*'([^']+)'/g)) constants.set(`${block[1]}.${key}`, id);
  return [...text.matchAll(/\.register\(\s*(?:'([^']+)'|(\w+_COMMANDS\.\w+))/g)].map(
    ([, literal, constant]) => literal ?? constants.get(constant) ?? `unresolved ${constant}`,
  );
}

/** The context keys a `when` clause reads: the left operand of each term (values, quoted strings and regexes dropped). */
function whenKeys(when: string): string[] {
  const terms = when
    .replace(/=~\s*\/(?:\\.|[^/])*\/[a-z]*/g, '')
    .replace(/'[^']*'|"[^"]*"/g, '')
    .split(/&&|\|\|/);
  return terms.flatMap((t) => {
    const m = /^[\s!(]*([A-Za-z_][\w.]*)/.exec(t);
    return m ? [m[1]] : [];
  });
}

/** Every `when` / `enablement` clause of the manifest, with where it is. */
function whenClauses(): Array<[string, string]> {
  const c = pkg.contributes;
  const out: Array<[string, string]> = [];
  for (const [menu, entries] of Object.entries(c.menus as Record<string, Array<{ command: string; when?: string }>>))
    for (const e of entries) if (e.when) out.push([`menus.${menu} ${e.command}`, e.when]);
  for (const cmd of c.commands) if (cmd.enablement) out.push([`commands ${cmd.command}`, cmd.enablement]);
  for (const w of c.viewsWelcome ?? []) if (w.when) out.push([`viewsWelcome ${w.view}`, w.when]);
  for (const views of Object.values(c.views as Record<string, Array<{ id: string; when?: string }>>))
    for (const v of views) if (v.when) out.push([`views ${v.id}`, v.when]);
  for (const k of c.keybindings ?? []) if (k.when) out.push([`keybindings ${k.command}`, k.when]);
  for (const walk of c.walkthroughs ?? [])
    for (const step of walk.steps) {
      if (step.when) out.push([`walkthrough ${step.id}`, step.when]);
      for (const ev of step.completionEvents ?? [])
        if (ev.startsWith('onContext:')) out.push([`walkthrough ${step.id}`, ev.slice('onContext:'.length)]);
    }
  return out;
}

/** Context keys VS Code sets itself (https://code.visualstudio.com/api/references/when-clause-contexts). */
const BUILT_IN = new Set([
  'view',
  'viewItem',
  'isWorkspaceTrusted',
  'resourceExtname',
  'resourceScheme',
  'resourceLangId',
  'resourceFilename',
  'explorerResourceIsFolder',
  'activeCustomEditorId',
  'editorLangId',
  'never',
  'false',
  'true',
]);

describe('command table', () => {
  it('lists every contributed command, and contributes every command it lists except the internal ones', () => {
    assert.deepEqual(
      contributed.filter((id) => !table.includes(id)),
      [],
      'contributed but missing from the table',
    );
    assert.deepEqual(
      table.filter((id) => !contributed.includes(id) && !INTERNAL_COMMANDS.has(id)),
      [],
      'in the table, neither contributed nor internal',
    );
    assert.deepEqual(
      [...INTERNAL_COMMANDS].filter((id) => contributed.includes(id)),
      [],
      'internal commands are not contributed',
    );
  });

  it("each command's file registers it, and no file of src/vscode/ registers a command the table lacks", () => {
    for (const [id, file] of Object.entries(COMMAND_TABLE)) {
      const text = fs.readFileSync(path.join(vscodeDir, file), 'utf8');
      assert.ok(registeredIn(text).includes(id), `${file} registers ${id}`);
    }
    const registered = sources(vscodeDir).flatMap((f) => registeredIn(fs.readFileSync(f, 'utf8')));
    assert.ok(registered.length >= table.length, `found the registrations (${registered.length})`);
    assert.deepEqual(commandTableProblems(registered), []);
  });

  it('names what disagrees between the registered commands and the table', () => {
    const problems = commandTableProblems([...table.filter((id) => id !== 'accel.showLog'), 'accel.x', 'accel.x']);
    assert.deepEqual(problems, [
      'accel.x is registered but not in src/vscode/commands/commandTable.ts: add it',
      'accel.x is registered twice',
      'accel.x is registered but not in src/vscode/commands/commandTable.ts: add it',
      'accel.showLog is in the command table but nothing registers it (commands/emulatorCommands.ts)',
    ]);
  });

  it('every context key a when clause reads is set in src/vscode/contextKeys.ts, or by VS Code', () => {
    const contextKeys = fs.readFileSync(path.join(vscodeDir, 'contextKeys.ts'), 'utf8');
    const clauses = whenClauses();
    assert.ok(clauses.length > 20, `found the when clauses (${clauses.length})`);
    const unset = clauses.flatMap(([where, when]) =>
      whenKeys(when)
        .filter((key) => !BUILT_IN.has(key) && !contextKeys.includes(`'${key}'`))
        .map((key) => `${key} (${where})`),
    );
    assert.deepEqual(unset, []);
  });

  it('reads the keys of a when clause, not its values', () => {
    assert.deepEqual(
      whenKeys("view == accel.services && viewItem =~ /^service;(running|x)/ && !accel.hasScored || a.b != 'c d'"),
      ['view', 'viewItem', 'accel.hasScored', 'a.b'],
    );
  });
});
