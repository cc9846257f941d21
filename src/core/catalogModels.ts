// `accel model add <family>` / Add Model from Catalog: a catalog model downloaded (checksum-verified, or from a
// mirror) and registered with the preprocessing its file expects. The catalog itself (src/catalog) is data and
// downloads only; this use case joins it to the registry.
import { catalogEntry, downloadPreset, verifiedDownload } from '../catalog/catalog';
import { downloadModel } from '../catalog/download';
import type { ProgressReporter, WorkspaceStore } from '../domain/ports';
import type { Model } from '../domain/types';
import { registerModel } from './models';

/** Downloads (verified) and registers a catalog model with the preprocessing its file expects. */
export async function addCatalogModel(
  store: WorkspaceStore,
  ws: string,
  family: string,
  opts: { name?: string; progress?: ProgressReporter; mirror?: string } = {},
): Promise<Model> {
  const e = catalogEntry(family);
  const d = verifiedDownload(e);
  await store.read(ws);
  const file = await downloadModel(
    { url: d.url, fileName: d.fileName, sha256: d.sha256, sizeBytes: d.sizeBytes ?? undefined },
    { home: store.home, progress: opts.progress, mirror: opts.mirror },
  );
  return registerModel(store, ws, {
    path: file,
    name: opts.name ?? family,
    ...downloadPreset(d),
    labels: e.labels,
    tags: { catalog: family },
  });
}
