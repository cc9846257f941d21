// The last precision comparison of each model file, kept beside the workspace's state.json as
// precision-comparisons/<model blob sha256>.json. Pure file I/O (no onnxruntime), so the extension host reads it for
// the convert wizard's precision descriptions; `accel model compare-precisions` writes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRECISIONS, type Precision } from '../convert/precision';
import { AccelError } from '../domain/errors';
import type { WorkspaceStore } from '../domain/ports';
import type { Model } from '../domain/types';
import { mkdirPrivate, writeFileAtomic } from '../store/atomicFile';

export interface PrecisionRow {
  precision: Precision;
  /** Bytes the weights take at this precision (matrix weights in msfp blocks, the rest fp32). */
  weightBytes: number;
  /** Share of photos whose top-1 class is fp32's. */
  top1Agreement: number;
  /** Share of photos whose top-5 classes hold all of fp32's top 5. */
  top5Agreement: number;
  meanAbsProbDiff: number;
  maxAbsProbDiff: number;
  /** Matrix weights rounded to this precision. */
  weightsRounded: number;
}

export interface PrecisionComparison {
  model: string;
  /** sha256 of the model file the comparison was measured on (a cached comparison of another file is stale). */
  modelBlob: string;
  inputTensor: string;
  outputTensor: string;
  calibrationDir: string;
  images: number;
  /** What the rows are compared with. */
  reference: string;
  /** Set when the int8 model was rewritten to fp32 first. */
  dequantized: boolean;
  measuredAt: string;
  /** fp32 (the reference, agreement 1 by definition), msfp9, msfp8. */
  rows: PrecisionRow[];
}

function comparisonsDir(store: WorkspaceStore, ws: string): string {
  return path.join(path.dirname(store.stateFile(ws)), 'precision-comparisons');
}

function comparisonFile(store: WorkspaceStore, ws: string, blob: string): string {
  if (!/^[0-9a-f]{64}$/.test(blob)) throw new AccelError('Internal', `Not a blob id: ${blob}`);
  return path.join(comparisonsDir(store, ws), `${blob}.json`);
}

export function saveComparison(store: WorkspaceStore, ws: string, c: PrecisionComparison): void {
  mkdirPrivate(comparisonsDir(store, ws));
  writeFileAtomic(comparisonFile(store, ws, c.modelBlob), JSON.stringify(c, null, 2));
}

/** A well-formed stored comparison, or undefined (anything unreadable counts as none). */
export function parseComparison(raw: unknown): PrecisionComparison | undefined {
  const c = raw as Partial<PrecisionComparison> | undefined;
  if (!c || typeof c !== 'object' || typeof c.model !== 'string' || typeof c.modelBlob !== 'string') return undefined;
  if (typeof c.images !== 'number' || !Array.isArray(c.rows) || c.rows.length !== PRECISIONS.length) return undefined;
  const ok = c.rows.every(
    (r, i) =>
      r &&
      r.precision === PRECISIONS[i] &&
      [r.weightBytes, r.top1Agreement, r.top5Agreement, r.meanAbsProbDiff, r.maxAbsProbDiff].every(
        (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      ),
  );
  return ok ? (c as PrecisionComparison) : undefined;
}

/** The last comparison measured on this model's file (a converted model: its source's), or undefined. */
export function readComparison(
  store: WorkspaceStore,
  ws: string,
  model: Model,
  models: Model[] = [],
): PrecisionComparison | undefined {
  const source = model.conversion ? models.find((m) => m.id === model.parentId) : model;
  if (!source) return undefined;
  try {
    const c = parseComparison(JSON.parse(fs.readFileSync(comparisonFile(store, ws, source.blob), 'utf8')));
    return c?.modelBlob === source.blob ? c : undefined;
  } catch {
    return undefined;
  }
}
