// Health latency as an outside client sees it: its own process (so the benchmark's load generator cannot delay
// it), one grpc.health.v1 Check every 5 ms against the endpoint. Prints {"latencies":[...],"errors":N} when stdin
// closes. argv[2] = port.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const def = protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), {
  keepCase: true,
  enums: String,
});
const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
const client = new Health(`127.0.0.1:${process.argv[2]}`, grpc.credentials.createInsecure());
const latencies: number[] = [];
let errors = 0;
let running = true;

const check = () =>
  new Promise<void>((resolve) =>
    client.Check({ service: '' }, (e: Error | null) => {
      if (e) errors++;
      resolve();
    }),
  );

void (async () => {
  for (let i = 0; i < 20; i++) await check(); // connect and warm up before the caller starts the load
  process.stdout.write('ready\n');
  while (running) {
    const t = performance.now();
    await check();
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 5));
  }
})();
process.stdin.resume();
process.stdin.on('end', () => {
  running = false;
  process.stdout.write(`${JSON.stringify({ latencies, errors })}\n`);
  client.close();
  setTimeout(() => process.exit(0), 50);
});
