// Every command of the extension in one flat table: its id → the file (one per noun, under src/vscode/) whose
// register function holds its handler. Commands take an optional tree node and otherwise pick. CommandRunner
// records what activation registers and the composition root logs any disagreement with this table; the unit test
// test/unit/vscode/commandTable.test.ts checks the table against package.json and the handler files. No vscode
// import, so the unit test can read it.

export const COMMAND_TABLE = {
  'accel.workspace.create': 'commands/workspaceCommands.ts',
  'accel.workspace.select': 'commands/workspaceCommands.ts',
  'accel.workspace.delete': 'commands/workspaceCommands.ts',

  'accel.model.register': 'commands/modelCommands.ts',
  'accel.model.addFromCatalog': 'commands/modelCommands.ts',
  'accel.model.showDetails': 'commands/modelCommands.ts',
  'accel.model.copyId': 'commands/modelCommands.ts',
  'accel.model.delete': 'commands/modelCommands.ts',
  'accel.model.convert': 'commands/convertCommand.ts',
  'accel.model.comparePrecisions': 'commands/comparePrecisions.ts',

  'accel.image.create': 'commands/imageCommands.ts',
  'accel.image.build': 'commands/imageCommands.ts',
  'accel.image.showBuildLog': 'commands/imageCommands.ts',
  'accel.image.export': 'commands/imageCommands.ts',
  'accel.image.delete': 'commands/imageCommands.ts',

  'accel.service.deploy': 'commands/serviceCommands.ts',
  'accel.sample.deploy': 'commands/serviceCommands.ts',
  'accel.service.copyScoringUri': 'commands/serviceCommands.ts',
  'accel.service.copyPrimaryKey': 'commands/serviceCommands.ts',
  'accel.service.regenerateKey': 'commands/serviceCommands.ts',
  'accel.service.updateReplicas': 'commands/serviceCommands.ts',
  'accel.service.showLogs': 'commands/serviceCommands.ts',
  'accel.service.delete': 'commands/serviceCommands.ts',
  'accel.service.benchmark': 'commands/benchmarkCommand.ts',
  'accel.benchmark.export': 'commands/benchmarkCommand.ts',

  'accel.score.image': 'commands/scoreCommands.ts',
  'accel.score.folder': 'commands/scoreCommands.ts',
  'accel.service.score': 'commands/scoreCommands.ts',
  'accel.score.exportCsv': 'commands/scoreCommands.ts',

  'accel.classifier.train': 'commands/classifierCommand.ts',
  'accel.classifier.deploy': 'commands/classifierCommand.ts',
  'accel.classifier.scorePhoto': 'commands/classifierCommand.ts',

  'accel.deleteWithDependents': 'commands/deleteCascade.ts',
  'accel.revealDependents': 'commands/deleteCascade.ts',

  'accel.emulator.start': 'commands/emulatorCommands.ts',
  'accel.emulator.stop': 'commands/emulatorCommands.ts',
  'accel.emulator.showLog': 'commands/emulatorCommands.ts',
  'accel.showLog': 'commands/emulatorCommands.ts',
  'accel.views.refresh': 'commands/emulatorCommands.ts',
  'accel.showQuickActions': 'commands/emulatorCommands.ts',

  'accel.azure.signIn': 'azure/azureCommands.ts',
  'accel.azure.signOut': 'azure/azureCommands.ts',
  'accel.azure.selectTenant': 'azure/azureCommands.ts',
  'accel.azure.showQuota': 'azure/azureCommands.ts',
  'accel.azure.deleteModel': 'azure/azureCommands.ts',
  'accel.azure.deleteEndpoint': 'azure/azureCommands.ts',
  'accel.azure.refresh': 'azure/azureCommands.ts',
  'accel.service.deployToKubernetes': 'azure/azureCommands.ts',
  'accel.compute.show': 'azure/computeCommands.ts',
  'accel.compute.delete': 'azure/computeCommands.ts',
  'accel.compute.detach': 'azure/computeCommands.ts',
} as const satisfies Record<string, string>;

export type CommandId = keyof typeof COMMAND_TABLE;

/** Registered, not contributed in package.json: run by panel buttons and notification actions, not the palette. */
export const INTERNAL_COMMANDS: ReadonlySet<string> = new Set<CommandId>([
  'accel.classifier.deploy',
  'accel.classifier.scorePhoto',
  'accel.revealDependents',
]);

/** Where the commands registered at activation and the table disagree (empty when they agree). */
export function commandTableProblems(registered: readonly string[]): string[] {
  const table = new Set<string>(Object.keys(COMMAND_TABLE));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const id of registered) {
    if (seen.has(id)) problems.push(`${id} is registered twice`);
    seen.add(id);
    if (!table.has(id)) problems.push(`${id} is registered but not in src/vscode/commands/commandTable.ts: add it`);
  }
  for (const id of table)
    if (!seen.has(id))
      problems.push(`${id} is in the command table but nothing registers it (${COMMAND_TABLE[id as CommandId]})`);
  return problems;
}
