// The typed messages between the extension host and the webview panels. Pure (no vscode, no DOM): the webview
// bundle and the Node unit tests import it too. Every message is validated on receipt, because a webview is a
// separate trust domain: the host never acts on a message it cannot parse.

import type { BenchmarkLevel, LatencyHistogram, MeanTimings } from '../scoring/benchmarkRun';
import type { BatchRow, Box, LatencyBreakdown, Prediction } from '../scoring/scoreResult';

export type { BatchRow, BenchmarkLevel, Box, LatencyBreakdown, LatencyHistogram, MeanTimings, Prediction };
export { histogram, percentile } from '../scoring/benchmarkRun';
export { latencyBreakdown } from '../scoring/scoreResult';
import { csvLine } from './csv';

export interface ScoreView {
  kind: 'score';
  fileName: string;
  /** webview URI of the scored image (asWebviewUri), or empty when the browser cannot show the format. */
  imageUri: string;
  service: string;
  scoringUri: string;
  modelId: string;
  top: Prediction[];
  latency: LatencyBreakdown;
  boxes: Box[];
}

/** A scored photo as the Batch Scores grid shows it: its row plus the webview URI of the photo ('' = no preview). */
export interface BatchTile extends BatchRow {
  imageUri: string;
}

export interface BatchView {
  kind: 'batch';
  folder: string;
  service: string;
  rows: BatchTile[];
  done: boolean;
  cancelled: boolean;
}

export interface ModelView {
  kind: 'model';
  id: string;
  framework: string;
  preset: string;
  labels: string;
  fileName: string;
  sizeBytes: number;
  inputs: Array<{ name: string; dtype: string; shape: Array<number | string> }>;
  outputs: Array<{ name: string; dtype: string; shape: Array<number | string> }>;
  tags: Record<string, string>;
  description?: string;
  parentId?: string;
  precision?: string;
  /** Compatibility report lines and the accuracy delta (one line per reference model), when the model was converted. */
  report?: { compatible: boolean; lines: string[]; accuracyDelta: string[] };
}

/** One benchmark run of a service: what Export writes and Compare with Previous Run keeps. */
export interface BenchmarkRun {
  service: string;
  image: string;
  /** ISO time the run started. */
  startedAt: string;
  requestsPerLevel: number;
  warmupRequests: number;
  levels: BenchmarkLevel[];
}

export interface BenchmarkView extends BenchmarkRun {
  kind: 'benchmark';
  done: boolean;
  /** The previous complete run of the same service in this workspace, when there is one. */
  previous?: BenchmarkRun;
}

/** The Training Result panel: a classifier trained on a folder of class subfolders (`accel classifier train`). */
export interface TrainingView {
  kind: 'training';
  workspace: string;
  modelId: string;
  /** Class names in the order of the model's output. */
  labels: string[];
  accuracy: { train: number; holdout: number | null };
  evaluatedOn: 'holdout' | 'train';
  perClass: Array<{ label: string; precision: number | null; recall: number | null; support: number }>;
  /** confusion[true][predicted]. */
  confusion: number[][];
  lossCurve: number[];
  iterations: number;
  converged: boolean;
  trainMs: number;
  featurizer: { model: string; featureTensor: string; dim: number };
  dataDir: string;
  photos: { total: number; train: number; holdout: number; skipped: number };
  imagesPerSecond: number;
  /** The first wrongly classified hold-out photos, with webview URIs; misclassifiedTotal counts them all. */
  misclassified: Array<{
    file: string;
    name: string;
    imageUri: string;
    label: string;
    predicted: string;
    probability: number;
  }>;
  misclassifiedTotal: number;
  /** The service running this classifier, once deployed from the panel. */
  service?: string;
}

/** One precision of a Compare Precisions run, against the fp32 conversion (src/core/precisionCache.ts). */
export interface PrecisionRowView {
  precision: 'fp32' | 'msfp9' | 'msfp8';
  weightBytes: number;
  top1Agreement: number;
  top5Agreement: number;
  meanAbsProbDiff: number;
  maxAbsProbDiff: number;
}

/** The Compare Precisions panel: fp32, msfp9 and msfp8 of one model on a folder of photos. */
export interface PrecisionView {
  kind: 'precision';
  model: string;
  /** What the rows are compared with (the fp32 conversion, dequantized for int8 models). */
  reference: string;
  calibrationDir: string;
  images: number;
  measuredAt: string;
  rows: PrecisionRowView[];
}

export type PanelView = ScoreView | BatchView | ModelView | BenchmarkView | TrainingView | PrecisionView;

/** Host → webview. */
export type HostMessage = { type: 'show'; view: PanelView };

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'exportCsv' }
  | { type: 'cancel' }
  | { type: 'copy'; text: string }
  | { type: 'openFile'; file: string }
  /** Opens the Score Result of the batch row at this index (rows in arrival order). */
  | { type: 'openResult'; row: number }
  | { type: 'deployClassifier' }
  | { type: 'scorePhoto' }
  | { type: 'exportBenchmark'; format: 'json' | 'csv' }
  /** Compare Precisions: open the convert wizard with this precision chosen. */
  | { type: 'convertAt'; precision: PrecisionRowView['precision'] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a message from the webview; undefined when it is not one we know (ignored, never trusted). */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (!isObj(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
    case 'exportCsv':
    case 'cancel':
    case 'deployClassifier':
    case 'scorePhoto':
      return { type: raw.type };
    case 'copy':
      return typeof raw.text === 'string' && raw.text.length <= 10_000 ? { type: 'copy', text: raw.text } : undefined;
    case 'openFile':
      return typeof raw.file === 'string' && raw.file.length > 0 ? { type: 'openFile', file: raw.file } : undefined;
    case 'openResult':
      return Number.isSafeInteger(raw.row) && (raw.row as number) >= 0
        ? { type: 'openResult', row: raw.row as number }
        : undefined;
    case 'exportBenchmark':
      return raw.format === 'json' || raw.format === 'csv'
        ? { type: 'exportBenchmark', format: raw.format }
        : undefined;
    case 'convertAt':
      return raw.precision === 'fp32' || raw.precision === 'msfp9' || raw.precision === 'msfp8'
        ? { type: 'convertAt', precision: raw.precision }
        : undefined;
    default:
      return undefined;
  }
}

/** Parses a message from the host (in the webview). */
export function parseHostMessage(raw: unknown): HostMessage | undefined {
  if (!isObj(raw) || raw.type !== 'show' || !isObj(raw.view)) return undefined;
  const kind = raw.view.kind;
  return kind === 'score' ||
    kind === 'batch' ||
    kind === 'model' ||
    kind === 'benchmark' ||
    kind === 'training' ||
    kind === 'precision'
    ? (raw as HostMessage)
    : undefined;
}

/** The batch results as CSV (RFC 4180 quoting; cells defused against formula injection, see csv.ts). */
export function batchCsv(rows: BatchRow[]): string {
  const lines = ['file,label,class,score,latency_ms,error'];
  for (const r of rows) {
    lines.push(
      csvLine([
        r.file,
        r.top1?.label ?? '',
        r.top1 ? String(r.top1.index) : '',
        r.top1 ? r.top1.score.toFixed(6) : '',
        r.latencyMs !== undefined ? r.latencyMs.toFixed(2) : '',
        r.error ?? '',
      ]),
    );
  }
  return lines.join('\n') + '\n';
}
