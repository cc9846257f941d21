// Workspace trust for commands: which ones need a trusted folder (registering or converting parses model files,
// typically from the folder; training decodes the folder's photos) and the refusal they get in Restricted Mode.
// Pure (no vscode): the manifest test checks that package.json hides exactly these behind `isWorkspaceTrusted`.
import { AccelError } from '../../domain/errors';
import type { TrustDetail } from './errorActions';

export const TRUST_REQUIRED: ReadonlySet<string> = new Set([
  'accel.model.register',
  'accel.model.convert',
  'accel.classifier.train',
  'accel.model.comparePrecisions',
]);

export function untrustedRefusal(id: string): AccelError {
  const what =
    id === 'accel.model.convert'
      ? 'Converting a model'
      : id === 'accel.classifier.train'
        ? 'Training a classifier'
        : id === 'accel.model.comparePrecisions'
          ? 'Comparing precisions'
          : 'Registering a model';
  const parses =
    id === 'accel.classifier.train'
      ? 'it decodes every photo of the folder and registers a model built from them'
      : id === 'accel.model.comparePrecisions'
        ? 'it converts the model three times and decodes every photo of the calibration folder'
        : 'it parses model files, which may come from this folder';
  const detail: TrustDetail = { needsWorkspaceTrust: true };
  return new AccelError(
    'PermissionDenied',
    `${what} needs a trusted workspace: ${parses}. Trust the folder (Manage Workspace Trust) and run the command again.`,
    detail,
  );
}
