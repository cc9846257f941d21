// `accel`: the command line over the same use cases the extension runs. Each command module exports
// `register(program)`; add a module with one line in COMMAND_MODULES.
import { Command, CommanderError } from 'commander';
import * as classifierCommands from './commands/classifier';
import * as convertCommands from './commands/convert';
import * as azureCommands from './commands/azure';
import * as computeCommands from './commands/compute';
import * as emulatorCommands from './commands/emulator';
import * as imageCommands from './commands/image';
import * as modelCommands from './commands/model';
import * as scoreCommands from './commands/score';
import * as serviceCommands from './commands/service';
import * as workspaceCommands from './commands/workspace';
import { exitCodeFor, formatError } from './output';

const COMMAND_MODULES: { register(program: Command): void }[] = [
  workspaceCommands,
  modelCommands,
  convertCommands,
  classifierCommands,
  imageCommands,
  serviceCommands,
  scoreCommands,
  emulatorCommands,
  azureCommands,
  computeCommands,
];

export function buildProgram(): Command {
  const program = new Command('accel')
    .description(
      'Accelerated Models: register, convert, package, deploy and score image models on a local accelerator emulator or Azure.',
    )
    .option('--json', 'print machine-readable JSON on stdout (and nothing else there)')
    .option('-w, --workspace <name>', 'the workspace to act on (default: the active one, see `accel workspace use`)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: true })
    .addHelpText(
      'after',
      '\nData lives in ACCEL_HOME (default ~/.accel). Exit codes: 0 ok, 1 error, 2 bad input, 3 not found, 4 has dependents/exists, 5 busy/unavailable, 6 Azure sign-in/permission/quota.',
    )
    .exitOverride();
  for (const module of COMMAND_MODULES) module.register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its own usage errors and help.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(formatError(error, argv.includes('--json')));
    return exitCodeFor(error);
  }
}

// `accel model list | head` closes stdout early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

void main().then((code) => {
  process.exitCode = code;
});
