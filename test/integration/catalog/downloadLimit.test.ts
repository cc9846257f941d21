// A catalog download stops at the catalog's declared size, through the real CLI: ACCEL_MIRROR points at a local
// HTTP server that sends the real MobileNetV2 and then keeps streaming (no Content-Length, or a lying one).
// `accel model add` and `accel model register --sample` fail with the declared size in the message, the server
// is cut off long before it could finish, and nothing is left in the home: no model, no partial file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AccelHome } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

const body = fs.readFileSync(mobilenetPath);
const FILE = 'mobilenetv2-12-int8.onnx';
/** What the hostile server would send in all: 256 MiB, far past the declared 3,655,033 bytes. */
const ENDLESS = 256 * 1024 * 1024;
const CUT_OFF = 32 * 1024 * 1024;

describe('catalog downloads stop at the declared size (accel CLI)', { timeout: 180_000 }, () => {
  let server: http.Server;
  let base: string;
  /** Bytes handed to the socket per request, known once the response closed. */
  const sent: Array<Promise<number>> = [];
  const homes: AccelHome[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let written = 0;
      sent.push(new Promise((resolve) => res.on('close', () => resolve(written))));
      if (!req.url?.endsWith(`/${FILE}`)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, req.url.startsWith('/lying/') ? { 'content-length': String(ENDLESS) } : {});
      const junk = Buffer.alloc(256 * 1024, 0x5a);
      const pump = () => {
        while (written < ENDLESS && !res.destroyed) {
          const chunk = written === 0 ? body : junk;
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const h of homes) fs.rmSync(h.home, { recursive: true, force: true });
  });

  async function home(mirror: string): Promise<AccelHome> {
    const h = new AccelHome({ ACCEL_MIRROR: mirror });
    homes.push(h);
    await h.run(['workspace', 'create', 'cat']);
    return h;
  }

  async function leftovers(h: AccelHome): Promise<{ models: unknown[]; cache: string[] }> {
    const models = (await h.run(['model', 'list', '--json'])).json;
    const dir = path.join(h.home, 'cache', 'models');
    const cache = fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile() && !e.name.endsWith('.lock'))
          .map((e) => e.name)
      : [];
    return { models, cache };
  }

  const declared = new RegExp(
    `holds more than the 3655033 bytes declared for ${FILE.replace(/\./g, '\\.')} .*the download was stopped and its partial file deleted`,
  );

  for (const [route, args] of [
    ['endless', ['model', 'add', 'mobilenetv2']],
    ['endless', ['model', 'register', '--sample', '--name', 'mnv2']],
    ['lying', ['model', 'add', 'mobilenetv2']],
  ] as const) {
    it(`${args.join(' ')} against a server that sends more (${route === 'lying' ? 'Content-Length 256 MiB' : 'chunked, no length'})`, async () => {
      const h = await home(`${base}/${route}/`);
      const before = sent.length;
      const res = await h.run([...args], { expectFailure: true });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, declared);
      assert.equal(sent.length, before + 1, 'one request, no retry of a refused download');
      const bytes = await sent[before];
      assert.ok(bytes < CUT_OFF, `the server got ${bytes} bytes out before the CLI hung up`);
      assert.deepEqual(await leftovers(h), { models: [], cache: [] });
    });
  }
});
