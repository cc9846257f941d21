// Errors from the shared use cases name CLI commands (`accel model register <file> --name …`), because the CLI is
// their first face. Shown in VS Code, each such span names the VS Code command (palette title) or view that does
// the same instead. A CLI verb without a VS Code equivalent stays as it is. Pure (no vscode): unit-tested, and the
// test checks every title below against package.json.
import type { CommandId } from './commandTable';

type Equivalent = { command: CommandId; title: string } | { view: string };

const PALETTE = 'Accelerated Models';

/** `accel <noun> <verb>` → what does the same in VS Code. */
export const VSCODE_EQUIVALENTS: Readonly<Record<string, Equivalent>> = {
  'workspace create': { command: 'accel.workspace.create', title: 'Create Local Workspace…' },
  'workspace use': { command: 'accel.workspace.select', title: 'Select Workspace…' },
  'workspace delete': { command: 'accel.workspace.delete', title: 'Delete Workspace…' },
  'workspace list': { view: 'Workspaces' },
  'model register': { command: 'accel.model.register', title: 'Register Model…' },
  'model add': { command: 'accel.model.addFromCatalog', title: 'Add Model from Catalog…' },
  'model convert': { command: 'accel.model.convert', title: 'Convert Model…' },
  'model compare-precisions': { command: 'accel.model.comparePrecisions', title: 'Compare Precisions…' },
  'model show': { command: 'accel.model.showDetails', title: 'Show Model Details…' },
  'model delete': { command: 'accel.model.delete', title: 'Delete Model…' },
  'model list': { view: 'Models' },
  'image create': { command: 'accel.image.create', title: 'Create Image…' },
  'image build': { command: 'accel.image.build', title: 'Build Container Image…' },
  'image export': { command: 'accel.image.export', title: 'Export Image Build Context…' },
  'image log': { command: 'accel.image.showBuildLog', title: 'Show Image Build Log…' },
  'image delete': { command: 'accel.image.delete', title: 'Delete Image…' },
  'image list': { view: 'Images' },
  'service deploy': { command: 'accel.service.deploy', title: 'Deploy Image as Service…' },
  'service regen-key': { command: 'accel.service.regenerateKey', title: 'Regenerate Service Key…' },
  'service logs': { command: 'accel.service.showLogs', title: 'Show Service Logs…' },
  'service delete': { command: 'accel.service.delete', title: 'Delete Service…' },
  'service list': { view: 'Services' },
  'emulator stop': { command: 'accel.emulator.stop', title: 'Stop Emulator' },
  'emulator logs': { command: 'accel.emulator.showLog', title: 'Show Emulator Log' },
  'emulator status': { view: 'Services' },
};

/** The message with each backticked `accel <noun> <verb> …` that has a VS Code equivalent worded for VS Code. */
export function vscodeWording(message: string): string {
  return message.replace(/`accel ([a-z-]+) ([a-z-]+)[^`]*`/g, (span, noun: string, verb: string) => {
    const e = VSCODE_EQUIVALENTS[`${noun} ${verb}`];
    if (!e) return span;
    return 'command' in e ? `"${PALETTE}: ${e.title}"` : `the ${e.view} view`;
  });
}
