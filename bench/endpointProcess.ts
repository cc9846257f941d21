// A service endpoint in its own process (as in the emulator host), so the benchmark's client and the server
// do not share an event loop. Prints {"port": N} on stdout once serving; exits when stdin closes.
import { DevicePool } from '../src/emulator/devicePool';
import { startServiceEndpoint, type EndpointConfig } from '../src/emulator/serviceEndpoint';

void (async () => {
  const config = JSON.parse(process.argv[2]) as EndpointConfig;
  const endpoint = await startServiceEndpoint(config, new DevicePool(Math.max(4, config.replicas)));
  await endpoint.ready;
  process.stdout.write(`${JSON.stringify({ port: endpoint.port })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void endpoint.stop().then(() => process.exit(0)));
})().catch((e) => {
  process.stderr.write(`endpoint failed: ${(e as Error).message}\n`);
  process.exit(1);
});
