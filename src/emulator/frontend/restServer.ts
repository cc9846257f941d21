// TF-Serving-compatible REST: `POST /v1/models/<name>[/versions/<v>]:predict` with a JSON body in row format
// (`{"instances": [...]}`) or column format (`{"inputs": ...}`); images as `{"b64": "<base64 file bytes>"}`.
// The JSON becomes the same PredictRequest the gRPC path sends, so both share one worker path. This thread (the
// one that serves every service) only checks the caller (restGuard), the route and the key, and collects the body
// within limits; parsing and rendering JSON happen in the listener's REST JSON worker (restJsonThread). Every
// request gets an answer: an unexpected error fails that request with 500 and is logged, it never ends the host.
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isAccelError, type ErrorCode } from '../../domain/errors';
import type { Logger } from '../../domain/ports';
import type { AuthFailure } from './auth';
import type { ServedModel } from '../runtime/predictionService';
import { restRefusal } from './restGuard';
import { RestJsonThread } from './restJsonThread';
import type { WorkerPool } from '../runtime/workerPool';

export interface RestServer {
  port: number;
  close(): Promise<void>;
}

export interface RestOptions {
  host: string;
  port: number;
  tls?: { certPem: string; keyPem: string };
  model: ServedModel;
  pool: WorkerPool;
  /** Largest body accepted (413 above it). */
  maxBodyBytes: number;
  /** Body bytes all requests of this listener may hold at once (503 above it). Default 2 × maxBodyBytes. */
  maxBufferedBytes?: number;
  authorize: (header: (name: string) => string | undefined) => AuthFailure | undefined;
  count: (ok: boolean) => void;
  /** Where unexpected errors go (default: the process's stderr, which the host writes to its log). */
  logger?: Logger;
}

const HTTP_FOR: Partial<Record<ErrorCode, number>> = {
  NotFound: 404,
  AlreadyExists: 409,
  InvalidArgument: 400,
  InvalidModel: 412,
  HasDependents: 412,
  SchemaTooNew: 412,
  Busy: 429,
  Unavailable: 503,
  Cancelled: 499,
  Internal: 500,
};

const ROUTE = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+))?:predict$/;

function decodeName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function shown(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

export async function startRestServer(opts: RestOptions): Promise<RestServer> {
  const json = new RestJsonThread(opts.model, opts.logger);
  const maxBuffered = opts.maxBufferedBytes ?? 2 * opts.maxBodyBytes;
  const logError = (m: string) =>
    opts.logger ? opts.logger.error(m) : console.error(`${new Date().toISOString()} ERROR ${m}`);
  let buffered = 0;
  let port = 0;
  const usage = `POST /v1/models/${opts.model.serviceName}:predict with {"instances": [...]}`;

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let answered = false;
    /** Sends one answer; `close` ends the connection (a body we did not read must not be read as the next request). */
    const send = (status: number, body: object | Uint8Array, close = false) => {
      if (answered || res.headersSent || res.destroyed) return;
      answered = true;
      opts.count(status === 200);
      const bytes = body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body), 'utf8');
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/json',
        'content-length': bytes.byteLength,
      };
      if (close) headers.connection = 'close';
      res.writeHead(status, headers);
      res.end(bytes);
    };
    const sendError = (e: unknown, close = false) => {
      const status = (isAccelError(e) && HTTP_FOR[e.code]) || 500;
      if (status === 500)
        logError(
          `${opts.model.serviceName}: REST ${req.method} ${shown(req.url ?? '')} failed: ${(e as Error)?.stack ?? e}`,
        );
      send(
        status,
        {
          error:
            status === 500 && !isAccelError(e)
              ? `Internal error while serving this request (${(e as Error)?.message ?? e}); see the service log.`
              : (e as Error).message,
        },
        close,
      );
    };

    const refusal = restRefusal(req.headers, opts.host, port);
    if (refusal) return send(403, { error: refusal }, true);
    const m = ROUTE.exec((req.url ?? '').split('?')[0]);
    if (!m) return send(404, { error: `Not found. ${usage}.` }, true);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return send(405, { error: `Method ${req.method} is not allowed here. ${usage}.` }, true);
    }
    const name = decodeName(m[1]);
    if (name === undefined)
      return send(
        400,
        { error: `The model name in the path ("${shown(m[1])}") is not valid percent-encoding. ${usage}.` },
        true,
      );
    if (name !== opts.model.serviceName && name !== opts.model.modelName) {
      return send(
        404,
        { error: `This port serves model "${opts.model.serviceName}", not "${shown(name)}". ${usage}.` },
        true,
      );
    }
    const denied = opts.authorize((h) => {
      const v = req.headers[h];
      return Array.isArray(v) ? v[0] : v;
    });
    if (denied) return send(denied.kind === 'unauthenticated' ? 401 : 404, { error: denied.message }, true);
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > opts.maxBodyBytes) {
      return send(
        413,
        {
          error: `The body (${declared} bytes) is larger than ${opts.maxBodyBytes} bytes. Send fewer instances per request.`,
        },
        true,
      );
    }

    // Collect the body: into one buffer of the declared size when there is one, so it can move to the worker uncopied.
    let body: Buffer | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let done = false;
    const release = () => {
      buffered -= held;
      held = 0;
    };
    const abort = (status: number, error: string) => {
      done = true;
      release();
      send(status, { error }, true);
      req.resume(); // drop the rest; the connection closes after the answer
    };
    // Only what has arrived counts against the listener's budget (the pages of `body` are committed as they are
    // written), so a client that declares much and sends little holds nothing back from the others.
    if (declared !== undefined) body = Buffer.allocUnsafeSlow(declared);
    req.on('error', () => {
      done = true;
      release();
    });
    req.on('close', () => {
      if (!req.complete) {
        done = true;
        release();
      }
    });
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > opts.maxBodyBytes || (declared !== undefined && size > declared)) {
        return abort(
          413,
          `The body is larger than ${declared !== undefined && size > declared ? `its Content-Length (${declared} bytes)` : `${opts.maxBodyBytes} bytes`}. Send fewer instances per request.`,
        );
      }
      if (buffered + c.length > maxBuffered) {
        return abort(
          503,
          `Service "${opts.model.serviceName}" is already receiving ${buffered} bytes of REST bodies (its limit is ${maxBuffered}). Retry with back-off, or use gRPC.`,
        );
      }
      buffered += c.length;
      held += c.length;
      if (body) c.copy(body, size - c.length);
      else chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      if (body && size !== declared) body = body.subarray(0, size);
      const bytes: Uint8Array = body ?? Buffer.concat(chunks);
      chunks.length = 0;
      const cancelled = () => res.destroyed || res.writableEnded;
      json
        .run('request', bytes)
        .finally(release)
        // A client that disconnects abandons its job at once (a queued job never starts, a running one stops).
        .then((request) => opts.pool.submit(request, false, { cancelled, onCancel: (f) => res.once('close', f) }, true))
        .then((result) => json.run('response', result.bytes))
        .then(
          (out) => send(200, out),
          (e) => sendError(e),
        );
    });
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      handle(req, res);
    } catch (e) {
      try {
        logError(
          `${opts.model.serviceName}: REST ${req.method} ${shown(req.url ?? '')} failed: ${(e as Error)?.stack ?? e}`,
        );
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ error: 'Internal error while serving this request; see the service log.' }));
        } else res.destroy();
      } catch {
        res.destroy();
      }
    }
  };
  const server = opts.tls
    ? https.createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem }, handler)
    : http.createServer(handler);
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', (e) => logError(`${opts.model.serviceName}: REST listener: ${e.message}`));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
      await json.close();
    },
  };
}
