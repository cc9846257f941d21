// A local HTTPS server with a self-signed certificate (selfsigned) that records every request and answers from
// routes the test scripts. The Azure and Kubernetes SDK clients are pointed at it and trust its certificate.
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  /** Parsed JSON body, when it was JSON. */
  body: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
}

type Handler = (req: Recorded, match: RegExpExecArray) => Reply | Promise<Reply>;

let certCache: Promise<{ cert: string; key: string }> | undefined;
export function testCertificate(): Promise<{ cert: string; key: string }> {
  certCache ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    days: 2,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  } as never).then((p) => ({ cert: p.cert, key: p.private }));
  return certCache;
}

export class HttpsFake {
  readonly requests: Recorded[] = [];
  private routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  private constructor(
    private server: https.Server,
    readonly ca: string,
  ) {}

  static async start(): Promise<HttpsFake> {
    const { cert, key } = await testCertificate();
    let fake: HttpsFake | undefined;
    const server = https.createServer({ cert, key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => void fake!.handle(req, Buffer.concat(chunks), res));
    });
    fake = new HttpsFake(server, cert);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Adds a route; later routes win over earlier ones for the same request. */
  route(method: string, pattern: RegExp, handler: Handler): this {
    this.routes.unshift({ method, pattern, handler });
    return this;
  }

  /** Answers the next `n` matching requests with `replies` in order, then falls through to older routes. */
  sequence(method: string, pattern: RegExp, replies: Reply[]): this {
    const queue = [...replies];
    const entry = { method, pattern, handler: (() => queue.shift()!) as Handler };
    this.routes.unshift(entry);
    const original = entry.handler;
    entry.handler = (r, m) => {
      const reply = original(r, m);
      if (queue.length === 0) this.routes = this.routes.filter((x) => x !== entry);
      return reply;
    };
    return this;
  }

  find(method: string, pathPattern: RegExp): Recorded[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path));
  }

  private async handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'https://localhost');
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const rec: Recorded = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: req.headers,
      raw,
      body,
    };
    this.requests.push(rec);
    const route = this.routes.find((r) => r.method === rec.method && r.pattern.test(rec.path));
    let reply: Reply;
    try {
      reply = route
        ? await route.handler(rec, route.pattern.exec(rec.path)!)
        : { status: 404, json: { error: { code: 'NotFound', message: `No route for ${rec.method} ${rec.path}` } } };
    } catch (e) {
      reply = { status: 500, json: { error: { code: 'TestServerError', message: (e as Error).message } } };
    }
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload = '';
    if (reply.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = JSON.stringify(reply.json);
    } else if (reply.text !== undefined) {
      headers['content-type'] ??= 'text/plain';
      payload = reply.text;
    }
    res.writeHead(reply.status ?? 200, headers);
    res.end(payload);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A TokenCredential for the tests: a fixed token shaped like an ARM JWT. */
export function testToken(claims: Record<string, unknown> = {}): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ upn: 'dev@contoso.example', tid: 'tenant-1', exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.sig`;
}

export function testCredential(token = testToken()) {
  const calls: { scopes: string | string[] }[] = [];
  return {
    calls,
    credential: {
      async getToken(scopes: string | string[]) {
        calls.push({ scopes });
        return { token, expiresOnTimestamp: Date.now() + 3600_000 };
      },
    },
  };
}
