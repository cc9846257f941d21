// Paths tests share: the repo root and the read-only shared data (../shared, or ACCEL_SHARED).
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const sharedDir = path.resolve(process.env.ACCEL_SHARED ?? path.join(repoRoot, '..', 'shared'));
export const dataDir = path.join(sharedDir, 'data');
export const mobilenetPath = path.join(dataDir, 'models', 'onnx', 'mobilenetv2-12-int8.onnx');
export const imagesDir = path.join(dataDir, 'images');
