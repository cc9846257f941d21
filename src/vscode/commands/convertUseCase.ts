// Adapter to the conversion use case (src/core/conversions.ts).
import { AccelError } from '../../core/errors';
import type { CancellationSignal, ProgressReporter, WorkspaceStore } from '../../core/ports';
import type { Model } from '../../core/types';

export interface ConvertRequest {
  inputTensor: string;
  outputTensors: string[];
  precision: 'fp32' | 'msfp9' | 'msfp8';
  calibrationFolder?: string;
}

export async function convertWithUseCase(_store: WorkspaceStore, _ws: string, model: Model, _req: ConvertRequest, _p: ProgressReporter, _c: CancellationSignal): Promise<Model> {
  throw new AccelError('Unavailable', `Conversion of ${model.id} is not available in this build yet. Use the model as is: create an image from it.`);
}
