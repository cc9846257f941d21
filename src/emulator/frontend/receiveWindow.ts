// A larger HTTP/2 receive window for a grpc-js server. grpc-js 1.14 honours `grpc-node.flow_control_window` on
// channels only; its servers advertise Node's default 64 KB stream and connection windows (grpc/grpc-node PR #3058
// adds the option to servers). A 602 KB float request then crosses in ~10 window-sized bursts, each waiting for the
// gRPC thread to read and answer with WINDOW_UPDATE. An 8 MiB window lets a request arrive in one go: in the
// MobileNetV2 concurrency-8 load it cut client CPU by ~0.6 ms and gRPC-thread CPU by ~0.3 ms per request.
//
// Until the option reaches servers this sets the window through grpc-js internals (`commonServerOptions`, passed to
// http2.createServer at bind time; `http2Servers`, whose sessions get the connection window). Both are checked before use, and
// test/integration/emulator/receiveWindow.test.ts reads the advertised windows from a raw HTTP/2 client, so a
// grpc-js upgrade that moves them fails that test instead of quietly returning to 64 KB.
import type * as grpc from '@grpc/grpc-js';
import type * as http2 from 'node:http2';

export const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

interface ServerInternals {
  commonServerOptions?: http2.ServerOptions;
  http2Servers?: Map<http2.Http2Server, unknown>;
}

/** bindAsync with the larger window: advertised per stream in every session's SETTINGS, and per connection. */
export function bindWithReceiveWindow(
  server: grpc.Server,
  address: string,
  creds: grpc.ServerCredentials,
  bytes = RECEIVE_WINDOW_BYTES,
): Promise<number> {
  const internals = server as unknown as ServerInternals;
  if (!internals.commonServerOptions || !internals.http2Servers) {
    throw new Error(
      'This grpc-js version keeps no commonServerOptions/http2Servers: update src/emulator/receiveWindow.ts',
    );
  }
  internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: bytes };
  const before = new Set(internals.http2Servers.keys());
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, port) => {
      if (err) return reject(err);
      for (const h2 of internals.http2Servers!.keys()) {
        if (!before.has(h2)) h2.on('session', (session: http2.ServerHttp2Session) => session.setLocalWindowSize(bytes));
      }
      resolve(port);
    }),
  );
}
