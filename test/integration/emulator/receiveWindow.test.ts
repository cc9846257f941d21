// The endpoint advertises the larger HTTP/2 receive window (src/emulator/frontend/receiveWindow.ts), read with a raw HTTP/2
// client: per stream in its SETTINGS, per connection in a WINDOW_UPDATE. Fails if a grpc-js upgrade moves the
// internals that setting relies on.
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, test } from 'node:test';
import selfsigned from 'selfsigned';
import { RECEIVE_WINDOW_BYTES } from '../../../src/emulator/frontend/receiveWindow';
import type { ServiceEndpoint } from '../../../src/emulator/frontend/serviceEndpoint';
import { startMobilenet } from './endpointHarness';

const endpoints: ServiceEndpoint[] = [];
after(async () => {
  for (const e of endpoints) await e.stop();
});

const DEFAULT_WINDOW = 65_535;

async function advertisedWindows(authority: string): Promise<{ stream: number; connection: number }> {
  const session = http2.connect(authority, { rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    // A PING answered means every frame the server sent before it (its WINDOW_UPDATE included) has been read.
    await new Promise<void>((resolve, reject) => session.ping((e) => (e ? reject(e) : resolve())));
    return { stream: session.remoteSettings.initialWindowSize!, connection: session.state.remoteWindowSize! };
  } finally {
    session.close();
  }
}

test('a plain-text endpoint advertises the larger stream and connection receive windows', async () => {
  const endpoint = await startMobilenet();
  endpoints.push(endpoint);
  const windows = await advertisedWindows(`http://127.0.0.1:${endpoint.port}`);
  assert.equal(windows.stream, RECEIVE_WINDOW_BYTES);
  assert.equal(windows.connection, RECEIVE_WINDOW_BYTES);
  assert.ok(RECEIVE_WINDOW_BYTES > DEFAULT_WINDOW);
});

test('a TLS endpoint advertises them too', async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 });
  const endpoint = await startMobilenet({ tls: { certPem: pems.cert, keyPem: pems.private } });
  endpoints.push(endpoint);
  const windows = await advertisedWindows(`https://127.0.0.1:${endpoint.port}`);
  assert.deepEqual(windows, { stream: RECEIVE_WINDOW_BYTES, connection: RECEIVE_WINDOW_BYTES });
});
