// Featurize throughput (accel classifier train's featurizing step: batched, concurrent Predict of encoded photos)
// against the featurizer service's own throughput at its best concurrency (one photo per request, closed loop),
// on the same transient service, in alternating rounds (featurizeDefault = batch 4, 8 in flight: the defaults of
// accel classifier train with two replicas); plus the head's training time on 1,000 × 1,280 features.
// Run: npm run build && node --import tsx bench/classifierFeaturize.ts  (prints JSON)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { featurizeFiles, withFeaturizerService, type FeaturizerService } from '../src/classifier/featurize';
import { cutFeaturizer } from '../src/classifier/featurizerGraph';
import { trainSoftmaxHead } from '../src/classifier/softmaxHead';
import { registerModel } from '../src/core/models';
import { stopHost } from '../src/emulator/host/hostControl';
import { openStore } from '../src/store/fileStore';
import { buildPhotoFolders } from '../test/integration/classifier/photoFolders';
import { mobilenetPath } from '../test/support/paths';
import { rng } from '../test/support/random';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function serviceRps(svc: FeaturizerService, images: Buffer[], concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < images.length) {
        const i = next++;
        await svc.client.scoreImage(images[i], { inputName: svc.inputName, outputs: [svc.outputName] });
      }
    }),
  );
  return (images.length / (performance.now() - started)) * 1000;
}

function headCpuMs(classes: number): { cpuMs: number; wallMs: number; iterations: number } {
  const n = 1000;
  const dim = 1280;
  const r = rng(classes);
  const centers = Array.from({ length: classes }, () =>
    Float32Array.from({ length: dim }, () => Math.max(0, r() * 3 - 1)),
  );
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let d = 0; d < dim; d++) x[i * dim + d] = Math.min(6, Math.max(0, centers[y[i]][d] + (r() - 0.5) * 4));
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const head = trainSoftmaxHead(x, n, dim, y, classes, { l2: 0.01, maxIterations: 200 });
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0, iterations: head.iterations };
}

async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-bench-classifier-'));
  const store = openStore(home);
  try {
    await store.createWorkspace('bench');
    const source = await registerModel(store, 'bench', {
      path: mobilenetPath,
      name: 'mobilenet',
      preset: 'mobilenetv2',
    });
    const photos = Object.values(await buildPhotoFolders(path.join(home, 'photos'), 16, 1)).flat();
    const files = [...photos, ...photos];
    const images = files.map((f) => fs.readFileSync(f));
    const { bytes } = cutFeaturizer(fs.readFileSync(mobilenetPath), source.id);
    const result = await withFeaturizerService(store, 'bench', source, bytes, async (svc) => {
      await serviceRps(svc, images.slice(0, 16), 4); // warm-up
      const service: Record<number, number[]> = { 1: [], 2: [], 4: [], 8: [] };
      const configs = [
        ['batch1-c8', { batchSize: 1, concurrency: 8 }],
        ['batch2-c8', { batchSize: 2, concurrency: 8 }],
        ['batch4-c8', { batchSize: 4, concurrency: 8 }],
        ['batch8-c4', { batchSize: 8, concurrency: 4 }],
      ] as const;
      const featurize: Record<string, number[]> = Object.fromEntries(configs.map(([key]) => [key, [] as number[]]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of [1, 2, 4, 8]) service[c].push(await serviceRps(svc, images, c));
        for (const [key, opts] of configs) {
          const f = await featurizeFiles(svc, files, opts);
          featurize[key].push((files.length / f.ms) * 1000);
        }
      }
      const serviceMedians = Object.fromEntries(Object.entries(service).map(([c, xs]) => [c, median(xs)]));
      const best = Math.max(...Object.values(serviceMedians));
      const featurizeMedians = Object.fromEntries(Object.entries(featurize).map(([k, xs]) => [k, median(xs)]));
      const defaults = featurizeMedians[process.env.BENCH_DEFAULT ?? 'batch4-c8'];
      return {
        photos: files.length,
        replicas: svc.replicas,
        serviceImagesPerSecond: serviceMedians,
        serviceBest: best,
        featurizeImagesPerSecond: featurizeMedians,
        featurizeDefault: defaults,
        ratioDefaultToServiceBest: defaults / best,
        rounds: { service, featurize },
      };
    });
    const head = { classes3: headCpuMs(3), classes10: headCpuMs(10) };
    process.stdout.write(`${JSON.stringify({ ...result, head, loadAverage: os.loadavg() }, null, 2)}\n`);
  } finally {
    await stopHost(home);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

void main();
