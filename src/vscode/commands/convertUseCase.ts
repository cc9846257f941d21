// Runs a conversion in a separate process (the CLI's detached runner: the conversion checks the result in
// onnxruntime, which must not load in the extension host) and follows its Operation in the store until it ends.
// Cancelling the progress cancels the operation (the runner is stopped; nothing is registered).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConversionReport } from '../../core/conversions';
import { AccelError } from '../../domain/errors';
import type { CancellationSignal, ProgressReporter, WorkspaceStore } from '../../domain/ports';
import type { Model, Operation } from '../../domain/types';
import { cliJson } from '../cliProcess';

export interface ConvertRequest {
  inputTensor: string;
  outputTensors: string[];
  precision: 'fp32' | 'msfp9' | 'msfp8';
  /** Rewrite an int8 QLinear model to fp32 first, so the precision applies (`--dequantize`). */
  dequantize?: boolean;
  /** Folder of photos for the accuracy delta; undefined = the default (ACCEL_CALIBRATION or the sample photos). */
  calibrationFolder?: string;
}

function operationLogFile(store: WorkspaceStore, ws: string, id: string): string {
  return path.join(path.dirname(store.stateFile(ws)), 'operations', `${id}.log`);
}

function lastLine(file: string): string | undefined {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .pop()
      ?.replace(/^\S+Z\s+/, '');
  } catch {
    return undefined;
  }
}

export async function convertInProcess(
  extensionPath: string,
  store: WorkspaceStore,
  ws: string,
  model: Model,
  req: ConvertRequest,
  progress: ProgressReporter,
  cancel: CancellationSignal,
): Promise<Model> {
  const args = [
    'model',
    'convert',
    model.id,
    '--input',
    req.inputTensor,
    '--output',
    req.outputTensors.join(','),
    '--precision',
    req.precision,
    '--workspace',
    ws,
  ];
  if (req.calibrationFolder) args.push('--calibration', req.calibrationFolder);
  if (req.dequantize) args.push('--dequantize');
  progress.report({ message: 'validating the tensors' });
  const started = await cliJson<Operation>(extensionPath, store.home, args);
  // Cancelling stops the runner process (`operation cancel` kills it and records the operation as Cancelled);
  // the loop below then sees the final state. A cancel that came while the operation was being started counts too.
  let cancelling: Promise<unknown> | undefined;
  const requestCancel = () => {
    if (cancelling) return;
    progress.report({ message: 'cancelling' });
    cancelling = cliJson(extensionPath, store.home, ['operation', 'cancel', started.id, '--workspace', ws]).catch(
      () => undefined,
    );
  };
  const sub = cancel.onCancellationRequested(requestCancel);
  progress.report({ message: `running as operation ${started.id}` });
  if (cancel.isCancellationRequested) requestCancel();
  try {
    for (;;) {
      if (cancelling) await cancelling;
      // `operation show` also records a runner that died as Failed (or Cancelled, when a cancel was requested).
      const op = await cliJson<Operation>(extensionPath, store.home, [
        'operation',
        'show',
        started.id,
        '--workspace',
        ws,
      ]);
      if (op.state === 'Cancelled')
        throw new AccelError('Cancelled', `Conversion of ${model.id} cancelled; nothing was registered.`);
      if (op.state === 'Failed')
        throw new AccelError(
          'InvalidModel',
          `Conversion of ${model.id} failed: ${op.error ?? 'unknown error'} (operation ${op.id}; log ${operationLogFile(store, ws, op.id)}).`,
        );
      if (op.state === 'Succeeded') {
        const converted = (await store.read(ws)).models.find((m) => m.id === op.resultId);
        if (!converted) throw new AccelError('NotFound', `Converted model ${op.resultId} is not in workspace ${ws}.`);
        return converted;
      }
      const line = lastLine(operationLogFile(store, ws, op.id));
      if (line && !cancelling) progress.report({ message: line.slice(0, 120) });
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    sub.dispose();
  }
}

/** The stored conversion report of a converted model (a JSON blob), or undefined. */
export function readReport(store: WorkspaceStore, ws: string, model: Model): ConversionReport | undefined {
  const blob = model.conversion?.reportBlob;
  return blob ? (JSON.parse(fs.readFileSync(store.blobPath(ws, blob), 'utf8')) as ConversionReport) : undefined;
}
