// What every command needs: the store, the workspace it acts on (--workspace, else the active one), and
// whether to print JSON. Command modules also use `nounCommand` to add subcommands to a shared noun (e.g.
// `model convert` from the converter's module) without caring which module created it.
import type { Command } from 'commander';
import { AccelError } from '../domain/errors';
import { validateName } from '../domain/names';
import { openStore, type FileStore } from '../store/fileStore';

export interface CliContext {
  store: FileStore;
  json: boolean;
  /** The workspace named by --workspace, else the active one; a clear error when there is none. */
  workspace(): Promise<string>;
}

export function contextOf(command: Command): CliContext {
  const opts = command.optsWithGlobals() as { json?: boolean; workspace?: string };
  const store = openStore();
  return {
    store,
    json: Boolean(opts.json),
    async workspace() {
      if (opts.workspace) {
        validateName('workspace', opts.workspace);
        return opts.workspace;
      }
      const active = await store.getActiveWorkspace();
      if (active) return active;
      throw new AccelError(
        'InvalidArgument',
        `No workspace selected in ${store.home}. Create one with \`accel workspace create NAME\` (the first becomes active), choose one with \`accel workspace use NAME\`, or pass --workspace NAME.`,
      );
    },
  };
}

/** The top-level noun command `name` (`model`, `image`, ...), created on first use. */
export function nounCommand(program: Command, name: string, description: string): Command {
  const existing = program.commands.find((c) => c.name() === name);
  if (existing) return existing;
  return program.command(name).description(description);
}

/** Collects repeatable options (`--tag a=1 --tag b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Wraps an action so it receives the context and its positional arguments and options. Errors propagate to
 * main.ts, which prints them and sets the exit code.
 */
export function action<A extends unknown[]>(
  run: (ctx: CliContext, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    await run(contextOf(command), ...(args.slice(0, -1) as A));
  };
}
