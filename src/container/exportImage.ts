// `accel image export`: an image's self-contained container build context (Dockerfile, run-time packages, the model
// as model/model.onnx) written to a folder, for an engine on this machine or elsewhere; see buildContext.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findImage, readImageManifest } from '../core/images';
import { AccelError } from '../domain/errors';
import type { WorkspaceStore } from '../domain/ports';
import { distDir } from '../emulator/runtime/bundles';
import { writeBuildContext } from './buildContext';

export interface ExportResult {
  dir: string;
  files: string[];
}

/** Writes a container build context for the image into `dir` (created; must be empty if it exists). */
export async function exportImage(
  store: WorkspaceStore,
  workspace: string,
  ref: string,
  dir: string,
): Promise<ExportResult> {
  const state = await store.read(workspace);
  const image = findImage(state, ref);
  const manifest = await readImageManifest(store, workspace, image);
  const target = path.resolve(dir);
  const modelFile = store.blobPath(workspace, manifest.model.sha256);
  if (!fs.existsSync(modelFile)) {
    throw new AccelError(
      'NotFound',
      `The model file of image ${image.id} is missing from the store. Register the model again and create a new image.`,
    );
  }
  const files = writeBuildContext(
    { image, manifest, manifestFile: store.blobPath(workspace, image.digest), modelFile, distDir: distDir() },
    target,
  );
  return { dir: target, files };
}
