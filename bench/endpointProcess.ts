// A service endpoint in its own process (as in the emulator host), so the benchmark's client and the server
// do not share an event loop. Prints {"port": N} on stdout once serving. Stdin lines: "eld-start" resets and
// starts an event-loop-delay histogram of this (the gRPC) thread (answers "ok"), "eld-stop" prints it as one
// JSON line.
// Exits when stdin closes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as readline from 'node:readline';
import { DevicePool } from '../src/emulator/runtime/devicePool';
import { startServiceEndpoint, type EndpointConfig } from '../src/emulator/frontend/serviceEndpoint';

void (async () => {
  const config = JSON.parse(process.argv[2]) as EndpointConfig;
  const endpoint = await startServiceEndpoint(config, new DevicePool(Math.max(4, config.replicas)));
  await endpoint.ready;
  process.stdout.write(`${JSON.stringify({ port: endpoint.port })}\n`);
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const ms = (ns: number) => Number((ns / 1e6).toFixed(3));
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'eld-start') {
      eld.reset();
      eld.enable();
      process.stdout.write('ok\n');
    } else if (line === 'eld-stop') {
      eld.disable();
      process.stdout.write(
        `${JSON.stringify({ min: ms(eld.min), median: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), n: eld.count })}\n`,
      );
    }
  });
  process.stdin.on('end', () => void endpoint.stop().then(() => process.exit(0)));
})().catch((e) => {
  process.stderr.write(`endpoint failed: ${(e as Error).message}\n`);
  process.exit(1);
});
