// `npm run bench`: serving-path benchmark for a ResNet-50-architecture model (random weights, generated and
// cached under .cache/bench) and the real MobileNetV2. JSON on stdout only; progress on stderr.
// Every figure has min/median/max and, where one applies, the ratio to its floor measured in the same run.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { PredictionClient } from '../src/client/predictionClient';
import { presetByName } from '../src/core/presets';
import type { PresetName, TensorSpec } from '../src/core/types';
import { sha256Hex } from '../src/emulator/auth';
import { decodeImage, imageLayoutFor, preprocessImages, resizeCropNormalize } from '../src/emulator/preprocess';
import { DT, encodePredictRequest } from '../src/emulator/wireCodec';
import { RESNET50_INPUT, RESNET50_OUTPUT, resnet50Path } from './resnet50Model';

const repoRoot = path.resolve(__dirname, '..');
const dataDir = path.join(path.resolve(process.env.ACCEL_SHARED ?? path.join(repoRoot, '..', 'shared')), 'data');
const JPEG = path.join(dataDir, 'images', 'coral', 'cat_720p.jpg');
const CPUS = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 2);
const THREADS = Number(process.env.BENCH_THREADS ?? Math.max(1, Math.floor(CPUS / REPLICAS)));
const KEY = 'bench-key';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

interface Stats { n: number; min: number; median: number; p99: number; max: number; mean: number }

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (v: number) => Number(v.toFixed(3));
  return { n: s.length, min: r(s[0]), median: r(q(0.5)), p99: r(q(0.99)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

async function timeIt(n: number, fn: () => Promise<unknown> | unknown, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return xs;
}

interface BenchModel {
  key: string;
  path: string;
  input: TensorSpec;
  output: TensorSpec;
  preset: PresetName;
  runs: number;
}

// ---- floors ----

const sessionOptions = (threads: number): ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 4,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
});

async function inProcessFloor(m: BenchModel, threads: number): Promise<Stats> {
  const session = await ort.InferenceSession.create(m.path, sessionOptions(threads));
  const input = new ort.Tensor('float32', new Float32Array(150528).fill(0.5), [1, 3, 224, 224]);
  const xs = await timeIt(m.runs, () => session.run({ [m.input.name]: input }));
  await session.release();
  return stats(xs);
}

/** Requests/s of `sessions` sessions × `threads` threads running flat out in worker threads (no serving). */
async function inProcessThroughput(m: BenchModel, sessions: number, threads: number, runs: number): Promise<number> {
  const file = path.join(__dirname, 'ortWorker.ts');
  const workers = Array.from({ length: sessions }, () =>
    new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: { modelPath: m.path, threads, runs, inputName: m.input.name, dims: [1, 3, 224, 224] } }),
  );
  const next = (w: Worker) => new Promise<void>((resolve, reject) => { w.once('message', () => resolve()); w.once('error', reject); });
  await Promise.all(workers.map(next));
  const t = performance.now();
  const done = Promise.all(workers.map(next));
  for (const w of workers) w.postMessage('go');
  await done;
  const wall = performance.now() - t;
  await Promise.all(workers.map((w) => w.terminate()));
  return Number(((sessions * runs) / (wall / 1000)).toFixed(2));
}

/** grpc-js round trip with no model: identity codecs, a reply the size of a 1000-float PredictResponse. */
async function echoFloor(requestBytes: number[], n: number): Promise<Record<string, Stats>> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const reply = Buffer.alloc(4040, 7);
  const method = { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
  server.addService({ Echo: method } as grpc.ServiceDefinition, { Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, reply) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const out: Record<string, Stats> = {};
  for (const size of requestBytes) {
    const payload = Buffer.alloc(size, 1);
    const call = () => new Promise<void>((resolve, reject) => client.makeUnaryRequest(method.path, (b: Buffer) => b, (b: Buffer) => b, payload, new grpc.Metadata(), (e) => (e ? reject(e) : resolve())));
    out[String(size)] = stats(await timeIt(n, call, 20));
  }
  client.close();
  server.forceShutdown();
  return out;
}

// ---- serving ----

/** Spawns the endpoint process and waits for its first prediction: the cold start a user sees. */
async function startEndpoint(m: BenchModel, replicas: number, threads: number): Promise<{ stop: () => Promise<void>; port: number; coldMs: number; client: PredictionClient }> {
  const started = performance.now();
  const config = {
    model: { serviceName: `bench-${m.key}`, modelName: m.key, modelVersion: 1, modelPath: m.path, inputs: [m.input], outputs: [m.output], preset: m.preset, labels: 'imagenet-1000' },
    port: 0, replicas, intraOpThreads: threads, auth: { enabled: true, keyHashes: [sha256Hex(KEY)] }, maxQueue: 256,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'endpointProcess.ts'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`endpoint process exited with ${code}`)));
  });
  const client = new PredictionClient('127.0.0.1', port, false, KEY, `bench-${m.key}`, undefined, { attempts: 1, deadlineMs: 60_000 });
  await client.scoreTensors({ [m.input.name]: { data: new Float32Array(150528).fill(0.5), shape: [1, 3, 224, 224] } });
  const coldMs = performance.now() - started;
  const stop = () => new Promise<void>((resolve) => {
    client.close();
    child.once('exit', () => resolve());
    child.stdin.end();
  });
  return { stop, port, coldMs, client };
}

function healthClient(port: number) {
  const def = protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), { keepCase: true, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const check = () => new Promise<void>((resolve, reject) => client.Check({ service: '' }, (e: Error | null) => (e ? reject(e) : resolve())));
  return { check, close: () => client.close() };
}

async function concurrencyRun(client: PredictionClient, m: BenchModel, concurrency: number, minRequests: number, health?: ReturnType<typeof healthClient>) {
  const data = new Float32Array(150528).fill(0.5);
  const latencies: number[] = [];
  const healthLatencies: number[] = [];
  let issued = 0;
  let running = true;
  const started = performance.now();
  const worker = async () => {
    while (issued < minRequests) {
      issued++;
      const t = performance.now();
      await client.scoreTensors({ [m.input.name]: { data, shape: [1, 3, 224, 224] } });
      latencies.push(performance.now() - t);
    }
  };
  const healthLoop = async () => {
    if (!health) return;
    while (running) {
      const t = performance.now();
      await health.check();
      healthLatencies.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const healthDone = healthLoop();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = performance.now() - started;
  running = false;
  await healthDone;
  return { rps: Number((latencies.length / (wall / 1000)).toFixed(2)), latency: stats(latencies), health: healthLatencies.length ? stats(healthLatencies) : undefined };
}

async function benchModel(m: BenchModel, echo: Record<string, Stats>, floatRequestBytes: number, jpegRequestBytes: number) {
  log(`${m.key}: in-process floor (${THREADS} threads)`);
  const floor = await inProcessFloor(m, THREADS);
  log(`${m.key}: in-process throughput`);
  const tpRuns = Math.max(8, Math.round(m.runs / 2));
  const configs: Array<{ sessions: number; threads: number; rps: number }> = [];
  for (const [sessions, threads] of [[1, CPUS], [CPUS, 1], [REPLICAS, THREADS]]) {
    if (configs.some((c) => c.sessions === sessions && c.threads === threads)) continue;
    configs.push({ sessions, threads, rps: await inProcessThroughput(m, sessions, threads, tpRuns) });
  }
  const bestInProcess = Math.max(...configs.map((c) => c.rps));

  log(`${m.key}: cold start`);
  const colds: number[] = [];
  for (let i = 0; i < 2; i++) {
    const s = await startEndpoint(m, REPLICAS, THREADS);
    colds.push(s.coldMs);
    await s.stop();
  }
  const { stop, port, coldMs, client } = await startEndpoint(m, REPLICAS, THREADS);
  colds.push(coldMs);

  log(`${m.key}: float round trip`);
  const data = new Float32Array(150528).fill(0.5);
  const server = { queue: [] as number[], preprocess: [] as number[], inference: [] as number[] };
  const floatRtt = await timeIt(m.runs, async () => {
    const r = await client.scoreTensors({ [m.input.name]: { data, shape: [1, 3, 224, 224] } });
    server.queue.push(r.timings.queueMs!);
    server.preprocess.push(r.timings.preprocessMs!);
    server.inference.push(r.timings.inferenceMs!);
  });
  log(`${m.key}: JPEG round trip`);
  const jpeg = fs.readFileSync(JPEG);
  const jpegServer = { preprocess: [] as number[], inference: [] as number[] };
  const jpegRtt = await timeIt(m.runs, async () => {
    const r = await client.scoreImage(jpeg);
    jpegServer.preprocess.push(r.timings.preprocessMs!);
    jpegServer.inference.push(r.timings.inferenceMs!);
  });

  log(`${m.key}: concurrency sweep`);
  const sweep = [];
  const health = healthClient(port);
  await health.check();
  let healthUnderLoad: Stats | undefined;
  for (const c of [1, 2, 4, 8]) {
    const r = await concurrencyRun(client, m, c, Math.max(m.runs, c * 10), c === 8 ? health : undefined);
    sweep.push({ concurrency: c, rps: r.rps, latency: r.latency, ratioToBestInProcess: ratio(r.rps, bestInProcess) });
    if (r.health) healthUnderLoad = r.health;
  }
  health.close();
  await stop();

  const echoFloat = echo[String(floatRequestBytes)];
  const echoJpeg = echo[String(jpegRequestBytes)];
  return {
    model: { file: path.relative(repoRoot, m.path), input: m.input, output: m.output, preset: m.preset },
    serving: { replicas: REPLICAS, intraOpThreadsPerReplica: THREADS },
    inProcessFloor: floor,
    inProcessThroughput: { configs, best: bestInProcess },
    floatRoundTrip: {
      ...stats(floatRtt),
      floorMs: Number((floor.median + echoFloat.median).toFixed(3)),
      ratio: ratio(stats(floatRtt).median, floor.median + echoFloat.median),
      server: { queueMs: stats(server.queue), decodeMs: stats(server.preprocess), inferenceMs: stats(server.inference) },
    },
    jpegRoundTrip: {
      ...stats(jpegRtt),
      server: { preprocessMs: stats(jpegServer.preprocess), inferenceMs: stats(jpegServer.inference) },
      echoMs: echoJpeg.median,
    },
    concurrency: sweep,
    healthUnderLoad,
    coldStartMs: { ...stats(colds), what: 'spawn of the endpoint process → model loaded on every replica → first prediction answered' },
  };
}

async function main() {
  const t0 = performance.now();
  log('generating/loading the ResNet-50 model');
  const models: BenchModel[] = [
    {
      key: 'resnet50', path: resnet50Path(repoRoot), preset: 'resnet50', runs: Number(process.env.BENCH_RUNS_RESNET ?? 40),
      input: { name: RESNET50_INPUT, dtype: 'float32', shape: ['N', 3, 224, 224] }, output: { name: RESNET50_OUTPUT, dtype: 'float32', shape: ['N', 1000] },
    },
    {
      key: 'mobilenetv2', path: path.join(dataDir, 'models', 'onnx', 'mobilenetv2-12-int8.onnx'), preset: 'mobilenetv2', runs: Number(process.env.BENCH_RUNS_MOBILENET ?? 150),
      input: { name: 'input', dtype: 'float32', shape: ['batch_size', 3, 224, 224] }, output: { name: 'output', dtype: 'float32', shape: ['batch_size', 1000] },
    },
  ];
  const jpeg = fs.readFileSync(JPEG);
  const floatRequestBytes = encodePredictRequest({ inputs: new Map([['input', { dtype: DT.FLOAT, shape: [1, 3, 224, 224], tensorContent: new Uint8Array(602112) }]]), outputFilter: [] }).length;
  const jpegRequestBytes = encodePredictRequest({ inputs: new Map([['input', { dtype: DT.STRING, shape: [1], stringVal: [jpeg] }]]), outputFilter: [] }).length;

  log('echo floor');
  const echo = await echoFloor([floatRequestBytes, jpegRequestBytes], 200);

  log('server-side preprocessing alone (720p JPEG)');
  const preset = presetByName('mobilenetv2');
  const layout = imageLayoutFor(models[1].input, preset);
  const preprocess = stats(await timeIt(100, () => preprocessImages([jpeg], preset, layout), 5));
  const decode = stats(await timeIt(100, () => decodeImage(jpeg), 5));
  const img = await decodeImage(jpeg);
  const out = new Float32Array(150528);
  const resize = stats(await timeIt(100, () => resizeCropNormalize(img, preset, layout, out, 0), 5));

  const results: Record<string, unknown> = {};
  for (const m of models) {
    const r = await benchModel(m, echo, floatRequestBytes, jpegRequestBytes);
    // JPEG floor: in-process inference + in-process preprocessing + transport of the JPEG-sized request.
    const jpegFloor = r.inProcessFloor.median + preprocess.median + r.jpegRoundTrip.echoMs;
    results[m.key] = { ...r, jpegRoundTrip: { ...r.jpegRoundTrip, floorMs: Number(jpegFloor.toFixed(3)), ratio: ratio(r.jpegRoundTrip.median, jpegFloor) } };
  }

  const target = (name: string, value: number, limit: number, cmp: '<=' | '>=') => ({ name, value, target: `${cmp} ${limit}`, met: cmp === '<=' ? value <= limit : value >= limit });
  const targets = [];
  for (const m of models) {
    const r = results[m.key] as Awaited<ReturnType<typeof benchModel>>;
    targets.push(target(`${m.key}: float round trip p50 / (in-process floor + echo)`, r.floatRoundTrip.ratio, 1.05, '<='));
    targets.push(target(`${m.key}: throughput at concurrency 8 / best in-process throughput`, r.concurrency.find((c) => c.concurrency === 8)!.ratioToBestInProcess, 0.95, '>='));
    if (r.healthUnderLoad) targets.push(target(`${m.key}: health p99 under load (ms)`, r.healthUnderLoad.p99, 5, '<='));
  }
  targets.push(target('JPEG preprocessing p50 (ms)', preprocess.median, 5, '<='));

  const report = {
    benchmark: 'accel emulator serving path',
    machine: { cpus: CPUS, cpuModel: os.cpus()[0]?.model, node: process.version, onnxruntime: (ort.env as { versions?: { common?: string } }).versions?.common, loadAverage: os.loadavg().map((v) => Number(v.toFixed(2))) },
    notes: [
      'All times in ms. The endpoint runs in its own process (as in the emulator host); the client talks to it over 127.0.0.1; inference runs in worker threads.',
      'floatRoundTrip.ratio = client p50 / (in-process session.run p50 with the same thread settings + grpc-js echo p50 of the same request size).',
      'jpegRoundTrip.ratio = client p50 / (in-process run p50 + in-process preprocessing p50 + echo p50 of the JPEG-sized request).',
      'concurrency[].ratioToBestInProcess = served requests/s over the best of the in-process configs (sessions × threads, no gRPC).',
      'The ResNet-50 model has random weights (timing only); MobileNetV2 is the real int8 model from the shared data.',
    ],
    echoFloor: { [`floatRequest_${floatRequestBytes}B`]: echo[String(floatRequestBytes)], [`jpegRequest_${jpegRequestBytes}B`]: echo[String(jpegRequestBytes)] },
    preprocessing720pJpeg: { total: preprocess, decode, resizeCropNormalize: resize, image: { file: path.basename(JPEG), width: img.width, height: img.height, bytes: jpeg.length } },
    models: results,
    targets,
    durationSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
