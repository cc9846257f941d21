import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { contextOf, nounCommand } from '../../../src/cli/context';
import { isAccelError } from '../../../src/domain/errors';
import { openStore } from '../../../src/store/fileStore';

function parsed(args: string[]): Command {
  const program = new Command('accel').option('--json').option('-w, --workspace <name>').exitOverride();
  let leaf: Command | undefined;
  nounCommand(program, 'thing', 'things')
    .command('do')
    .action((_opts, cmd: Command) => {
      leaf = cmd;
    });
  program.parse(['node', 'accel', ...args]);
  return leaf!;
}

describe('cli context', () => {
  it('resolves --workspace, else the active workspace, else says how to create one', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-ctx-'));
    const saved = process.env.ACCEL_HOME;
    process.env.ACCEL_HOME = home;
    try {
      await assert.rejects(
        contextOf(parsed(['thing', 'do'])).workspace(),
        (e) => isAccelError(e, 'InvalidArgument') && /accel workspace create NAME/.test(e.message),
      );
      await openStore(home).createWorkspace('first');
      assert.equal(await contextOf(parsed(['thing', 'do'])).workspace(), 'first');
      const ctx = contextOf(parsed(['thing', 'do', '--workspace', 'other', '--json']));
      assert.equal(ctx.json, true, 'global options are accepted after the subcommand');
      assert.equal(await ctx.workspace(), 'other');
      await assert.rejects(contextOf(parsed(['--workspace', 'Bad!', 'thing', 'do'])).workspace(), (e) =>
        isAccelError(e, 'InvalidArgument'),
      );
    } finally {
      if (saved === undefined) delete process.env.ACCEL_HOME;
      else process.env.ACCEL_HOME = saved;
    }
  });

  it('nounCommand returns the same noun to every module', () => {
    const program = new Command('accel');
    const a = nounCommand(program, 'model', 'models');
    const b = nounCommand(program, 'model', 'ignored');
    assert.equal(a, b);
    assert.equal(program.commands.length, 1);
  });
});
