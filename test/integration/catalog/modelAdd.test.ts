// `accel model add <family>` through the real CLI, downloading from a local HTTP server that ACCEL_MIRROR
// (a base URL) points at: the real MobileNetV2 file, a corrupted copy, a model zoo family whose file does
// not match its published checksum, families without a download, and a mirror that is down.
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
const RESNET = 'resnet50-v1-7.onnx';

describe('accel model add (catalog download)', () => {
  let server: http.Server;
  let base: string;
  const requests: string[] = [];
  const homes: AccelHome[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === `/good/${FILE}`) {
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } else if (req.url === `/good/${RESNET}`) {
        // Not the real 98 MB ResNet-50 (it cannot be fetched here): any other bytes must be refused.
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } else if (req.url === `/corrupt/${FILE}`) {
        const bad = Buffer.from(body);
        bad[4096] ^= 0xff;
        res.writeHead(200, { 'content-length': bad.length }).end(bad);
      } else {
        res.writeHead(404).end();
      }
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

  /** Models registered in the workspace and files left in the download cache. */
  async function leftovers(h: AccelHome): Promise<{ models: unknown[]; cache: string[] }> {
    const models = (await h.run(['model', 'list', '--json'])).json;
    const dir = path.join(h.home, 'cache', 'models');
    const cache = fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => e.name)
      : [];
    return { models, cache };
  }

  it('downloads the verified MobileNetV2 and registers it with the catalog preset, labels and tag', async () => {
    const h = await home(`${base}/good/`);
    const added = (await h.run(['model', 'add', 'mobilenetv2', '--json'])).json;
    assert.equal(added.id, 'mobilenetv2:1');
    assert.equal(added.framework, 'onnx');
    assert.equal(added.preset, 'mobilenetv2');
    assert.equal(added.labels, 'imagenet-1000');
    assert.equal(added.tags.catalog, 'mobilenetv2');
    assert.equal(added.sizeBytes, body.length);
    assert.ok(requests.includes(`/good/${FILE}`));
    // The text form, under another name, reuses the verified cache (no second request).
    const before = requests.length;
    const text = await h.run(['model', 'add', 'mobilenetv2', '--name', 'mnv2']);
    assert.equal(text.stdout.trim(), 'Registered mnv2:1 (onnx, preset mobilenetv2, labels imagenet-1000).');
    assert.equal(requests.length, before);
  });

  it('a checksum mismatch fails clearly and registers nothing', async () => {
    const h = await home(`${base}/corrupt/`);
    const res = await h.run(['model', 'add', 'mobilenetv2'], { expectFailure: true });
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      new RegExp(
        `Checksum mismatch for ${FILE.replace(/\./g, '\\.')} from ${base}/corrupt/${FILE.replace(/\./g, '\\.')}: expected sha256 cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f, got [0-9a-f]{64}\\. The copy is corrupt or the file changed upstream, and was discarded\\. Retry, or set ACCEL_MIRROR to a folder holding a verified copy\\.`,
      ),
    );
    assert.deepEqual(await leftovers(h), { models: [], cache: [] });
  });

  it('a model zoo family is checked against its published sha256: other bytes under its name are discarded', async () => {
    const h = await home(`${base}/good/`);
    const res = await h.run(['model', 'add', 'resnet50'], { expectFailure: true });
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      new RegExp(
        `Checksum mismatch for resnet50-v1-7\\.onnx from ${base}/good/resnet50-v1-7\\.onnx: expected sha256 af16a04a6ec48ac494065d4439fe9dea590d337b9ca6dc328160ccf04a217b9c, got cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f\\.`,
      ),
    );
    assert.ok(requests.includes(`/good/${RESNET}`));
    assert.deepEqual(await leftovers(h), { models: [], cache: [] });
  });

  it('a family without a download, or an unknown one, refuses with what to do instead', async () => {
    const h = await home(`${base}/good/`);
    const before = requests.length;
    const ssd = await h.run(['model', 'add', 'ssdvgg'], { expectFailure: true });
    assert.equal(ssd.code, 3);
    assert.match(
      ssd.stderr,
      /SSD-VGG-300 \(PASCAL VOC\) has no public ONNX file to download\. Register your own frozen graph with `accel model register <file\.pb> --name ssdvgg` and convert it with --input Placeholder:0 --output ssd_300_vgg\/block4_box\/Reshape_1:0,.*ssd_300_vgg\/block11_box\/Reshape:0\./,
    );
    const unknown = await h.run(['model', 'add', 'alexnet'], { expectFailure: true });
    assert.match(
      unknown.stderr,
      /Unknown model family "alexnet"\. Use one of: resnet50, resnet152, densenet121, vgg16, ssdvgg, mobilenetv2\./,
    );
    assert.equal(requests.length, before, 'nothing was requested');
    assert.deepEqual(await leftovers(h), { models: [], cache: [] });
  });

  it('with the mirror down the message says the machine looks offline and to set ACCEL_MIRROR', async () => {
    // A port that was just listening and is now closed: connection refused.
    const down = http.createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const h = await home(`http://127.0.0.1:${port}/`);
    const res = await h.run(['model', 'add', 'mobilenetv2'], { expectFailure: true });
    assert.equal(res.code, 5);
    assert.match(
      res.stderr,
      new RegExp(
        `Cannot download ${FILE.replace(/\./g, '\\.')} from http://127\\.0\\.0\\.1:${port}/${FILE.replace(/\./g, '\\.')} \\(ECONNREFUSED\\): this machine looks offline\\. Set ACCEL_MIRROR to a folder holding ${FILE.replace(/\./g, '\\.')} \\(or to the base URL of a mirror\\) and retry\\.`,
      ),
    );
    const left = await leftovers(h);
    assert.deepEqual(left.models, []);
    assert.deepEqual(
      left.cache.filter((f) => !f.endsWith('.lock')),
      [],
    );
  });
});
