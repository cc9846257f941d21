// A download stops at the catalog's declared size: a local HTTP server (or a mirror folder) that serves a longer
// body than declared is cut off early, the partial file is deleted and the error names the declared size.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cachedModelPath, downloadModel, type ModelDownload } from '../../../src/catalog/download';
import { isAccelError } from '../../../src/domain/errors';

const DECLARED = 4096;
const file = crypto.randomBytes(DECLARED);
const spec = (base: string, route: string): ModelDownload => ({
  url: `${base}/${route}/model.onnx`,
  fileName: 'model.onnx',
  sha256: crypto.createHash('sha256').update(file).digest('hex'),
  sizeBytes: DECLARED,
});
/** What a hostile server would send at most: far more than the client may take. */
const ENDLESS = 64 * 1024 * 1024;

describe('downloadModel stops at the declared size', { timeout: 120_000 }, () => {
  let server: http.Server;
  let base: string;
  /** Bytes the server managed to hand to the socket for each route, set when its response closes. */
  const sent = new Map<string, Promise<number>>();

  before(async () => {
    server = http.createServer((req, res) => {
      const route = (req.url ?? '').split('/')[1];
      let written = 0;
      sent.set(route, new Promise((resolve) => res.on('close', () => resolve(written))));
      if (route === 'exact') {
        res.writeHead(200, { 'content-length': DECLARED }).end(file);
        written = DECLARED;
        return;
      }
      if (route === 'lying-length') res.writeHead(200, { 'content-length': String(ENDLESS) });
      else res.writeHead(200); // chunked: no length announced
      const chunk = Buffer.alloc(64 * 1024, 7);
      file.copy(chunk);
      const pump = () => {
        while (written < ENDLESS && !res.destroyed) {
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
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const home = () => fs.mkdtempSync(path.join(os.tmpdir(), 'accel-dl-limit-'));
  const refusedForSize = (e: unknown) =>
    isAccelError(e, 'InvalidModel') &&
    /more than the 4096 bytes declared/.test(e.message) &&
    /partial file deleted/.test(e.message);

  it('a chunked body longer than declared is cut off and leaves no partial file', async () => {
    const h = home();
    const s = spec(base, 'endless');
    await assert.rejects(downloadModel(s, { home: h, mirror: '' }), refusedForSize);
    const target = cachedModelPath(h, s);
    assert.equal(fs.existsSync(`${target}.partial`), false, 'partial file deleted');
    assert.equal(fs.existsSync(target), false);
    // The server could send 64 MiB; it got rid of far less before the client hung up (socket buffers only).
    const bytes = await sent.get('endless')!;
    assert.ok(bytes < 16 * 1024 * 1024, `server sent ${bytes} bytes before the client stopped reading`);
  });

  it('a Content-Length above the declared size is refused before the body is read', async () => {
    const h = home();
    const s = spec(base, 'lying-length');
    await assert.rejects(
      downloadModel(s, { home: h, mirror: '' }),
      (e) => refusedForSize(e) && /67108864/.test((e as Error).message),
    );
    assert.equal(fs.existsSync(`${cachedModelPath(h, s)}.partial`), false);
    assert.ok((await sent.get('lying-length')!) < 16 * 1024 * 1024);
  });

  it('a mirror folder file larger than declared is refused without copying it', async () => {
    const h = home();
    const mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-dl-mirror-'));
    fs.writeFileSync(path.join(mirror, 'model.onnx'), Buffer.concat([file, Buffer.alloc(10)]));
    const s = spec(base, 'unused');
    await assert.rejects(downloadModel(s, { home: h, mirror }), refusedForSize);
    assert.equal(fs.existsSync(`${cachedModelPath(h, s)}.partial`), false);
  });

  it('a body of exactly the declared size still downloads and verifies', async () => {
    const h = home();
    const s = spec(base, 'exact');
    const got = await downloadModel(s, { home: h, mirror: '' });
    assert.deepEqual(fs.readFileSync(got), file);
  });
});
