// `npm run -s bench > bench.json`: serving-path benchmark for a ResNet-50-architecture model (random weights,
// generated and cached under .cache/bench) and the real MobileNetV2. JSON on stdout only; progress on stderr.
// Every figure has min/median/max; every ratio's floor is measured in the same run, with the same session
// options and thread priority as a serving replica (src/emulator/runtime/sessionOptions.ts, threadPriority.ts).
// See bench/README.md for what each figure means.
import * as grpc from '@grpc/grpc-js';
import { buildSync } from 'esbuild';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { PredictionClient } from '../src/client/predictionClient';
import { presetByName } from '../src/domain/presets';
import type { PresetName, TensorSpec } from '../src/domain/types';
import { ROUTE_HEADER, sha256Hex } from '../src/emulator/frontend/auth';
import { decodeImage, imageLayoutFor, preprocessImages, resizeCropNormalize } from '../src/emulator/runtime/preprocess';
import { OUTPUT_ENCODING_HEADER } from '../src/emulator/frontend/serviceEndpoint';
import { DT, encodePredictRequest } from '../src/wire/wireCodec';
import { SERVING_NODE_FLAGS } from '../src/emulator/host/nodeFlags';
import { ECHO_METHOD } from './echoMethod';
import { threadCpuMs } from './processCpu';
import { RESNET50_INPUT, RESNET50_OUTPUT, resnet50Path } from './resnet50Model';

const repoRoot = path.resolve(__dirname, '..');
const dataDir = path.join(path.resolve(process.env.ACCEL_SHARED ?? path.join(repoRoot, '..', 'shared')), 'data');
const JPEG = path.join(dataDir, 'images', 'coral', 'cat_720p.jpg');
const CPUS = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 2);
const THREADS = Number(process.env.BENCH_THREADS ?? Math.max(1, Math.floor(CPUS / REPLICAS)));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEY = 'bench-key';
let endpointBundle = '';
const DIMS = [1, 3, 224, 224];

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

interface Stats {
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

const r3 = (v: number) => Number(v.toFixed(3));

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return {
    n: s.length,
    min: r3(s[0]),
    median: r3(q(0.5)),
    p99: r3(q(0.99)),
    max: r3(s[s.length - 1]),
    mean: r3(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** min/median/max of a handful of values (rounds, cold starts). */
function spread(xs: number[]): { values: number[]; min: number; median: number; max: number } {
  const s = stats(xs);
  return { values: xs.map(r3), min: s.min, median: s.median, max: s.max };
}

const ratio = (a: number, b: number) => r3(a / b);

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
  /** Sequential runs for latency figures. */
  runs: number;
  /** Requests per served throughput measurement (and runs per in-process one). */
  throughputRequests: number;
}

/**
 * The endpoint process and its inference worker bundled as the product ships them (esbuild, natives external),
 * so the served path and the cold start run bundled JavaScript, not TypeScript compiled on load by tsx.
 * Written to .cache/bench/, from where protosRoot() finds the repository's protos/.
 */
function bundleEndpoint(): string {
  const outdir = path.join(repoRoot, '.cache', 'bench');
  buildSync({
    entryPoints: {
      endpointProcess: path.join(__dirname, 'endpointProcess.ts'),
      inferenceWorker: path.join(repoRoot, 'src', 'emulator', 'inferenceWorker.ts'),
    },
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    external: ['onnxruntime-node', 'sharp', '@julusian/jpeg-turbo', 'grpc-health-check', '@grpc/reflection'],
  });
  return path.join(outdir, 'endpointProcess.js');
}

/** A child process (a bench/*.ts script under tsx, or a .js file); resolves once it printed its first line. */
async function startChild(
  script: string,
  args: string[],
  nodeFlags: string[] = [],
): Promise<{
  child: ChildProcess;
  first: string;
  ask: (line: string) => Promise<string>;
  rest: () => Promise<string>;
}> {
  const argv = [
    ...nodeFlags,
    ...(script.endsWith('.js') ? [script] : ['--import', 'tsx', path.join(__dirname, script)]),
  ];
  const child = spawn(process.execPath, [...argv, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  child.stdout.on('data', (d: Buffer) => (buf += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      resolve(line);
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  // A command line to the child, answered by one line.
  const ask = (line: string) =>
    new Promise<string>((resolve) => {
      const onData = () => {
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        child.stdout!.off('data', onData);
        const answer = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        resolve(answer);
      };
      child.stdout!.on('data', onData);
      child.stdin!.write(`${line}\n`);
    });
  // Closing stdin asks the child to finish; it answers with its last line and exits.
  const rest = () =>
    new Promise<string>((resolve) => {
      child.once('exit', () => resolve(buf.trim()));
      child.stdin.end();
    });
  return { child, first, ask, rest };
}

// ---- floors ----

function ortWorker(m: BenchModel, threads: number, runs: number, mode: 'step' | 'throughput'): Worker {
  const file = path.join(__dirname, 'ortWorker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, {
    eval: true,
    workerData: { modelPath: m.path, threads, runs, inputName: m.input.name, dims: DIMS, mode },
  });
}

/** A replica-like session in a worker thread that runs one inference per `step()` and returns its time. */
async function floorSession(
  m: BenchModel,
  threads: number,
): Promise<{ step: () => Promise<number>; close: () => Promise<number> }> {
  const w = ortWorker(m, threads, 0, 'step');
  await new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
  });
  const step = () =>
    new Promise<number>((resolve) => {
      w.once('message', resolve);
      w.postMessage('run');
    });
  return { step, close: () => w.terminate() };
}

/** Requests/s of `sessions` sessions × `threads` threads running flat out in worker threads (no serving). */
async function inProcessThroughput(m: BenchModel, sessions: number, threads: number): Promise<number> {
  const runs = Math.ceil(m.throughputRequests / sessions);
  const workers = Array.from({ length: sessions }, () => ortWorker(m, threads, runs, 'throughput'));
  const next = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  await Promise.all(workers.map(next));
  const t = performance.now();
  const done = Promise.all(workers.map(next));
  for (const w of workers) w.postMessage('go');
  await done;
  const wall = performance.now() - t;
  await Promise.all(workers.map((w) => w.terminate()));
  return r3((sessions * runs) / (wall / 1000));
}

/** grpc-js round trips with no model, server in another process: the transport floor for a request size. */
async function startEcho(): Promise<{ call: (payload: Buffer) => Promise<void>; close: () => Promise<void> }> {
  const echo = await startChild('echoProcess.ts', [], SERVING_NODE_FLAGS);
  const client = new grpc.Client(`127.0.0.1:${JSON.parse(echo.first).port}`, grpc.credentials.createInsecure());
  const call = (payload: Buffer) =>
    new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        ECHO_METHOD.path,
        ECHO_METHOD.requestSerialize,
        ECHO_METHOD.responseDeserialize,
        payload,
        new grpc.Metadata(),
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  return {
    call,
    close: async () => {
      client.close();
      await echo.rest();
    },
  };
}

/**
 * Round trips measured in alternation with their floors (in-process run, echo of the same size), so load from
 * other processes on the machine lands on the served figure and its floor alike.
 */
async function paired(
  n: number,
  served: () => Promise<unknown>,
  floor: () => Promise<number>,
  echo: () => Promise<void>,
) {
  const s: number[] = [];
  const f: number[] = [];
  const e: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    let t = performance.now();
    await echo();
    const echoMs = performance.now() - t;
    const floorMs = await floor();
    t = performance.now();
    await served();
    const servedMs = performance.now() - t;
    if (i >= 3) {
      s.push(servedMs);
      f.push(floorMs);
      e.push(echoMs);
    }
  }
  return { served: stats(s), floor: stats(f), echo: stats(e) };
}

// ---- serving ----

interface Endpoint {
  pid: number;
  port: number;
  coldMs: number;
  client: PredictionClient;
  ask: (line: string) => Promise<string>;
  stop: () => Promise<void>;
}

/** Spawns the endpoint process and waits for its first prediction: the cold start a user sees. */
async function startEndpoint(m: BenchModel): Promise<Endpoint> {
  const started = performance.now();
  const config = {
    model: {
      serviceName: `bench-${m.key}`,
      modelName: m.key,
      modelVersion: 1,
      modelPath: m.path,
      inputs: [m.input],
      outputs: [m.output],
      preset: m.preset,
      labels: 'imagenet-1000',
    },
    port: 0,
    replicas: REPLICAS,
    intraOpThreads: THREADS,
    auth: { enabled: true, keyHashes: [sha256Hex(KEY)] },
    maxQueue: 256,
  };
  const ep = await startChild(endpointBundle, [JSON.stringify(config)], SERVING_NODE_FLAGS);
  const port = JSON.parse(ep.first).port as number;
  const client = new PredictionClient('127.0.0.1', port, false, KEY, `bench-${m.key}`, undefined, {
    attempts: 1,
    deadlineMs: 60_000,
  });
  await client.scoreTensors({ [m.input.name]: { data: new Float32Array(150528).fill(0.5), shape: DIMS } });
  const coldMs = performance.now() - started;
  return {
    pid: ep.child.pid!,
    port,
    coldMs,
    client,
    ask: ep.ask,
    stop: async () => {
      client.close();
      await ep.rest();
    },
  };
}

/**
 * Closed-loop load: `concurrency` callers each send the next request as soon as theirs returns. The request is
 * encoded once (as load generators like ghz do), so the client's own encoding does not compete for the CPU.
 */
async function servedLoad(port: number, m: BenchModel, concurrency: number, requests: number, endpointPid?: number) {
  const body = Buffer.from(
    encodePredictRequest({
      inputs: new Map([
        [
          m.input.name,
          { dtype: DT.FLOAT, shape: DIMS, tensorContent: new Uint8Array(new Float32Array(150528).fill(0.5).buffer) },
        ],
      ]),
      outputFilter: [],
    }),
  );
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
  });
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${KEY}`);
  md.set(ROUTE_HEADER, `/api/v1/service/bench-${m.key}`);
  md.set(OUTPUT_ENCODING_HEADER, 'tensor_content');
  const identity = (b: Buffer) => b;
  const call = () =>
    new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        '/tensorflow.serving.PredictionService/Predict',
        identity,
        identity,
        body,
        md,
        { deadline: Date.now() + 120_000 },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
  for (let i = 0; i < concurrency; i++) await call(); // connection and both replicas warm
  const latencies: number[] = [];
  let issued = 0;
  const before = {
    loadGenerator: process.cpuUsage(),
    endpoint: endpointPid === undefined ? undefined : threadCpuMs(endpointPid),
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        issued++;
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - started;
  // CPU time per timed request (connection set-up and warm-up calls excluded): this process, the endpoint's threads.
  const loadGenerator = process.cpuUsage(before.loadGenerator);
  const endpoint = endpointPid === undefined ? undefined : threadCpuMs(endpointPid);
  const n = latencies.length;
  const cpuMs = {
    loadGenerator: (loadGenerator.user + loadGenerator.system) / 1000 / n,
    endpointMainThread: before.endpoint && endpoint ? (endpoint.main - before.endpoint.main) / n : undefined,
    endpointOtherThreads: before.endpoint && endpoint ? (endpoint.other - before.endpoint.other) / n : undefined,
  };
  client.close();
  return { rps: r3(latencies.length / (wall / 1000)), latency: stats(latencies), cpuMs };
}

async function benchModel(
  m: BenchModel,
  echo: Awaited<ReturnType<typeof startEcho>>,
  preprocessJpeg: () => Promise<unknown>,
) {
  log(`${m.key}: in-process throughput configs`);
  const configs: Array<{ sessions: number; threads: number; rps: number }> = [];
  for (const [sessions, threads] of [
    [1, CPUS],
    [CPUS, 1],
    [REPLICAS, THREADS],
  ]) {
    if (configs.some((c) => c.sessions === sessions && c.threads === threads)) continue;
    configs.push({ sessions, threads, rps: await inProcessThroughput(m, sessions, threads) });
  }
  const best = configs.reduce((a, b) => (b.rps > a.rps ? b : a));

  log(`${m.key}: cold start`);
  const colds: number[] = [];
  for (let i = 0; i < 2; i++) {
    const s = await startEndpoint(m);
    colds.push(s.coldMs);
    await s.stop();
  }
  const ep = await startEndpoint(m);
  colds.push(ep.coldMs);

  log(
    `${m.key}: float round trip (PredictionClient, concurrency 1), paired with in-process run (${THREADS} intra-op thread(s)) and echo`,
  );
  const floorSess = await floorSession(m, THREADS);
  const data = new Float32Array(150528).fill(0.5);
  const floatBody = Buffer.alloc(
    encodePredictRequest({
      inputs: new Map([[m.input.name, { dtype: DT.FLOAT, shape: DIMS, tensorContent: new Uint8Array(data.buffer) }]]),
      outputFilter: [],
    }).length,
    1,
  );
  const server = { queue: [] as number[], decode: [] as number[], inference: [] as number[] };
  const float = await paired(
    m.runs,
    async () => {
      const r = await ep.client.scoreTensors({ [m.input.name]: { data, shape: DIMS } });
      server.queue.push(r.timings.queueMs!);
      server.decode.push(r.timings.preprocessMs!);
      server.inference.push(r.timings.inferenceMs!);
    },
    floorSess.step,
    () => echo.call(floatBody),
  );

  log(`${m.key}: JPEG round trip, paired with in-process preprocessing + run and echo`);
  const jpeg = fs.readFileSync(JPEG);
  const jpegBody = Buffer.alloc(
    encodePredictRequest({
      inputs: new Map([[m.input.name, { dtype: DT.STRING, shape: [1], stringVal: [jpeg] }]]),
      outputFilter: [],
    }).length,
    1,
  );
  const jpegServer = { preprocess: [] as number[], inference: [] as number[] };
  const jpegRt = await paired(
    m.runs,
    async () => {
      const r = await ep.client.scoreImage(jpeg);
      jpegServer.preprocess.push(r.timings.preprocessMs!);
      jpegServer.inference.push(r.timings.inferenceMs!);
    },
    async () => {
      const t = performance.now();
      await preprocessJpeg();
      return performance.now() - t + (await floorSess.step());
    },
    () => echo.call(jpegBody),
  );
  await floorSess.close();

  log(`${m.key}: concurrency sweep`);
  const sweep: Array<{ concurrency: number } & Awaited<ReturnType<typeof servedLoad>>> = [];
  for (const c of [1, 2, 4])
    sweep.push({ concurrency: c, ...(await servedLoad(ep.port, m, c, m.throughputRequests, ep.pid)) });

  // Concurrency 8 in rounds bracketed by the best in-process config, so load from other processes on the
  // machine shifts served and in-process figures alike. Nothing else runs against the endpoint meanwhile; the CPU
  // each request costs is read per process and thread.
  log(`${m.key}: concurrency 8 vs in-process (${ROUNDS} rounds)`);
  const inProcess = [await inProcessThroughput(m, best.sessions, best.threads)];
  const served8: Array<Awaited<ReturnType<typeof servedLoad>>> = [];
  const cpu = {
    loadGenerator: [] as number[],
    endpointMainThread: [] as number[],
    endpointOtherThreads: [] as number[],
  };
  for (let i = 0; i < ROUNDS; i++) {
    const round = await servedLoad(ep.port, m, 8, m.throughputRequests, ep.pid);
    cpu.loadGenerator.push(round.cpuMs.loadGenerator);
    if (round.cpuMs.endpointMainThread !== undefined) cpu.endpointMainThread.push(round.cpuMs.endpointMainThread);
    if (round.cpuMs.endpointOtherThreads !== undefined) cpu.endpointOtherThreads.push(round.cpuMs.endpointOtherThreads);
    served8.push(round);
    inProcess.push(await inProcessThroughput(m, best.sessions, best.threads));
  }

  // Health under the same load, in rounds of their own so the 200 probes/s do not take CPU from the throughput
  // figure. The probe runs in its own process; the endpoint records its gRPC thread's event-loop delay meanwhile.
  log(`${m.key}: health under concurrency-8 load (${ROUNDS} rounds)`);
  // The same probe with the endpoint idle: the machine's own scheduling noise, for reading the figure under load.
  const idleProbe = await startChild('healthProbe.ts', [String(ep.port)]);
  await new Promise((r) => setTimeout(r, 2000));
  const healthIdle = JSON.parse(await idleProbe.rest()) as { latencies: number[]; errors: number };
  const health = { latencies: [] as number[], errors: 0 };
  const eventLoopDelay: unknown[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const probe = await startChild('healthProbe.ts', [String(ep.port)]);
    await ep.ask('eld-start');
    await servedLoad(ep.port, m, 8, m.throughputRequests);
    eventLoopDelay.push(JSON.parse(await ep.ask('eld-stop')));
    const h = JSON.parse(await probe.rest()) as { latencies: number[]; errors: number };
    health.latencies.push(...h.latencies);
    health.errors += h.errors;
  }
  await ep.stop();
  const roundRatios = served8.map((s, i) => ratio(s.rps, (inProcess[i] + inProcess[i + 1]) / 2));
  const medianRound = [...served8].sort((a, b) => a.rps - b.rps)[Math.floor(served8.length / 2)];
  sweep.push({ concurrency: 8, ...medianRound });

  const floatFloor = float.floor.median + float.echo.median;
  const jpegFloor = jpegRt.floor.median + jpegRt.echo.median;
  return {
    model: { file: path.relative(repoRoot, m.path), input: m.input, output: m.output, preset: m.preset },
    serving: { replicas: REPLICAS, intraOpThreadsPerReplica: THREADS },
    floatRoundTripMs: {
      ...float.served,
      inProcessRunMs: float.floor,
      echoMs: float.echo,
      floorMs: r3(floatFloor),
      ratio: ratio(float.served.median, floatFloor),
      server: { queueMs: stats(server.queue), decodeMs: stats(server.decode), inferenceMs: stats(server.inference) },
    },
    jpegRoundTripMs: {
      ...jpegRt.served,
      inProcessPreprocessAndRunMs: jpegRt.floor,
      echoMs: jpegRt.echo,
      floorMs: r3(jpegFloor),
      ratio: ratio(jpegRt.served.median, jpegFloor),
      server: { preprocessMs: stats(jpegServer.preprocess), inferenceMs: stats(jpegServer.inference) },
    },
    inProcessThroughputRps: {
      configs,
      best: { sessions: best.sessions, threads: best.threads },
      bracketingRuns: spread(inProcess),
    },
    concurrency: sweep,
    concurrency8VsInProcess: {
      servedRps: spread(served8.map((s) => s.rps)),
      ratio: spread(roundRatios),
      how: 'each round: served rps at concurrency 8 / mean of the in-process best-config rps measured just before and just after it',
      cpuMsPerRequest: {
        loadGenerator: spread(cpu.loadGenerator),
        endpointMainThread: spread(cpu.endpointMainThread),
        endpointOtherThreads: spread(cpu.endpointOtherThreads),
        inProcessPerRun: r3((CPUS * 1000) / spread(inProcess).median),
        how: 'CPU time per timed request in each concurrency-8 round (connection set-up and warm-up calls excluded): the load generator (this process), the endpoint gRPC thread, the endpoint other threads (inference workers, libuv, V8 helpers), from /proc; inProcessPerRun = all cores / median in-process rps',
      },
    },
    healthUnderLoadMs: {
      ...stats(health.latencies),
      errors: health.errors,
      how: 'grpc.health.v1 Check every 5 ms from a separate process during concurrency-8 rounds of their own (not the throughput rounds)',
    },
    endpointEventLoopDelayMs: {
      rounds: eventLoopDelay,
      how: "the endpoint's gRPC thread, perf_hooks.monitorEventLoopDelay during each concurrency-8 round: blocking by our code plus the OS's scheduling delay",
    },
    healthIdleMs: {
      ...stats(healthIdle.latencies),
      errors: healthIdle.errors,
      how: 'the same probe for 2 s with the endpoint idle (machine noise floor)',
    },
    coldStartMs: {
      ...spread(colds),
      what: 'spawn of the (bundled) endpoint process → model loaded on every replica → first prediction answered',
    },
  };
}

async function main() {
  const t0 = performance.now();
  const loadAtStart = os.loadavg().map((v) => r3(v));
  log(`load average ${loadAtStart.join(' ')}`);
  endpointBundle = bundleEndpoint();
  log('generating/loading the ResNet-50 model');
  const models: BenchModel[] = [
    {
      key: 'resnet50',
      path: resnet50Path(repoRoot),
      preset: 'resnet50',
      runs: Number(process.env.BENCH_RUNS_RESNET ?? 40),
      throughputRequests: 96,
      input: { name: RESNET50_INPUT, dtype: 'float32', shape: ['N', 3, 224, 224] },
      output: { name: RESNET50_OUTPUT, dtype: 'float32', shape: ['N', 1000] },
    },
    {
      key: 'mobilenetv2',
      path: path.join(dataDir, 'models', 'onnx', 'mobilenetv2-12-int8.onnx'),
      preset: 'mobilenetv2',
      runs: Number(process.env.BENCH_RUNS_MOBILENET ?? 150),
      throughputRequests: 400,
      input: { name: 'input', dtype: 'float32', shape: ['batch_size', 3, 224, 224] },
      output: { name: 'output', dtype: 'float32', shape: ['batch_size', 1000] },
    },
  ];
  const jpeg = fs.readFileSync(JPEG);

  log('server-side preprocessing alone (720p JPEG)');
  const preset = presetByName('mobilenetv2');
  const layout = imageLayoutFor(models[1].input, preset);
  const preprocess = stats(await timeIt(100, () => preprocessImages([jpeg], preset, layout), 20));
  const decode = stats(await timeIt(100, () => decodeImage(jpeg), 20));
  const img = await decodeImage(jpeg);
  const out = new Float32Array(150528);
  const resize = stats(await timeIt(100, () => resizeCropNormalize(img, preset, layout, out, 0), 20));

  const echo = await startEcho();
  const results: Record<string, Awaited<ReturnType<typeof benchModel>>> = {};
  for (const m of models) results[m.key] = await benchModel(m, echo, () => preprocessImages([jpeg], preset, layout));
  await echo.close();

  const target = (name: string, value: number, limit: number, cmp: '<=' | '>=') => ({
    name,
    value,
    target: `${cmp} ${limit}`,
    met: cmp === '<=' ? value <= limit : value >= limit,
  });
  const targets = [];
  for (const m of models) {
    const r = results[m.key];
    targets.push(
      target(`${m.key}: float round trip p50 / (in-process floor + echo)`, r.floatRoundTripMs.ratio, 1.05, '<='),
    );
    targets.push(
      target(
        `${m.key}: throughput at concurrency 8 / best in-process throughput (median of rounds)`,
        r.concurrency8VsInProcess.ratio.median,
        0.95,
        '>=',
      ),
    );
    targets.push(target(`${m.key}: health p99 under load (ms)`, r.healthUnderLoadMs.p99, 5, '<='));
  }
  targets.push(target('JPEG preprocessing p50, 720p photo (ms)', preprocess.median, 5, '<='));

  const report = {
    benchmark: 'accel emulator serving path',
    machine: {
      cpus: CPUS,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      onnxruntime: (ort.env as { versions?: { common?: string } }).versions?.common,
      loadAverage: { start: loadAtStart, end: os.loadavg().map((v) => r3(v)) },
    },
    notes: [
      'All times in ms. The endpoint runs in its own process; clients talk to it over 127.0.0.1; inference runs in worker threads at lower priority.',
      'Floors use the replica session options (src/emulator/runtime/sessionOptions.ts) and thread priority, in worker threads, in this same run.',
      'The ResNet-50 model has random weights (timing only); MobileNetV2 is the real int8 model from the shared data.',
      'See bench/README.md for each figure.',
    ],
    preprocessing720pJpegMs: {
      total: preprocess,
      decode,
      resizeCropNormalize: resize,
      image: { file: path.basename(JPEG), width: img.width, height: img.height, bytes: jpeg.length },
    },
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
