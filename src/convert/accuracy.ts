// Accuracy delta of a converted model against its reference (the source ONNX model, or for TF sources the
// fp32 conversion, since TensorFlow itself does not run here): both run in onnxruntime-node on the same
// calibration images, preprocessed by the emulator's own preprocessing (one way to do it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccelError } from '../domain/errors';
import type { CancellationSignal, ProgressReporter } from '../domain/ports';
import type { PreprocessingPreset, TensorSpec } from '../domain/types';
import { imageLayoutFor, preprocessImages } from '../emulator/runtime/preprocess';

export interface AccuracyReport {
  images: number;
  calibrationDir: string;
  reference: string;
  output: string;
  top1Agreement: number;
  top5Agreement: number;
  maxAbsProbDiff: number;
  meanAbsProbDiff: number;
}

const IMAGE_EXT = /\.(jpe?g|png|gif|webp|bmp)$/i;

export function calibrationImages(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new AccelError(
      'NotFound',
      `Calibration folder ${dir} does not exist. Pass --calibration with a folder of JPEG/PNG/BMP photos.`,
    );
  }
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXT.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  if (out.length === 0)
    throw new AccelError(
      'InvalidArgument',
      `Calibration folder ${dir} holds no images (.jpg, .png, .gif, .webp, .bmp). Add some photos or pass another folder with --calibration.`,
    );
  return out;
}

function softmaxIfLogits(v: Float32Array): Float32Array {
  let sum = 0;
  let inRange = true;
  for (const x of v) {
    sum += x;
    if (x < 0 || x > 1) inRange = false;
  }
  if (inRange && Math.abs(sum - 1) < 1e-3) return v;
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function topK(v: Float32Array, k: number): number[] {
  return [...v.keys()].sort((a, b) => v[b] - v[a]).slice(0, k);
}

export interface AccuracyInput {
  reference: Uint8Array;
  referenceLabel: string;
  candidate: Uint8Array;
  /** Input spec of each model (their input names may differ). */
  referenceInput: TensorSpec;
  candidateInput: TensorSpec;
  /** Output to compare in each model (a classifier output [N, classes]). */
  referenceOutput: string;
  candidateOutput: string;
  preset: PreprocessingPreset;
  calibrationDir: string;
  progress?: ProgressReporter;
  cancel?: CancellationSignal;
  /** Awaited between images (e.g. to poll a cancel request in the store). */
  checkpoint?: () => Promise<void>;
}

export async function measureAccuracy(input: AccuracyInput): Promise<AccuracyReport> {
  const ort = await import('onnxruntime-node');
  const files = calibrationImages(input.calibrationDir);
  const opts = { graphOptimizationLevel: 'all' as const, intraOpNumThreads: 1 };
  const ref = await ort.InferenceSession.create(input.reference, opts);
  const cand = await ort.InferenceSession.create(input.candidate, opts);
  try {
    let top1 = 0,
      top5 = 0,
      maxDiff = 0,
      sumDiff = 0,
      count = 0;
    for (let i = 0; i < files.length; i++) {
      if (input.cancel?.isCancellationRequested) throw new AccelError('Cancelled', 'The conversion was cancelled.');
      await input.checkpoint?.();
      input.progress?.report({
        message: `Measuring accuracy on ${path.basename(files[i])}`,
        fraction: i / files.length,
      });
      const bytes = fs.readFileSync(files[i]);
      const run = async (session: any, spec: TensorSpec, output: string) => {
        const x = await preprocessImages([bytes], input.preset, imageLayoutFor(spec, input.preset));
        const out = await session.run({ [spec.name]: new ort.Tensor('float32', x.data, x.shape) });
        return softmaxIfLogits(Float32Array.from(out[output].data as Float32Array));
      };
      const p = await run(ref, input.referenceInput, input.referenceOutput);
      const q = await run(cand, input.candidateInput, input.candidateOutput);
      if (p.length !== q.length)
        throw new AccelError(
          'Internal',
          `The reference gives ${p.length} scores and the converted model ${q.length}; they cannot be compared.`,
        );
      const t1 = topK(p, 1)[0];
      if (topK(q, 1)[0] === t1) top1++;
      const r5 = topK(p, 5),
        c5 = new Set(topK(q, 5));
      if (r5.every((c) => c5.has(c))) top5++;
      for (let k = 0; k < p.length; k++) {
        const d = Math.abs(p[k] - q[k]);
        maxDiff = Math.max(maxDiff, d);
        sumDiff += d;
        count++;
      }
    }
    return {
      images: files.length,
      calibrationDir: path.resolve(input.calibrationDir),
      reference: input.referenceLabel,
      output: input.candidateOutput,
      top1Agreement: top1 / files.length,
      top5Agreement: top5 / files.length,
      maxAbsProbDiff: maxDiff,
      meanAbsProbDiff: count ? sumDiff / count : 0,
    };
  } finally {
    await ref.release();
    await cand.release();
  }
}
