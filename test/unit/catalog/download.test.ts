// Model downloads against a real local HTTP server: checksum, resume after a cut, mirrors, cancellation.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cachedModelPath,
  downloadModel,
  fetchSampleModel,
  SAMPLE_MODEL,
  type ModelDownload,
} from '../../../src/catalog/download';
import { isAccelError } from '../../../src/domain/errors';
import { signalFromAbort } from '../../../src/domain/ports';
import { mobilenetPath } from '../../support/paths';

const body = fs.readFileSync(mobilenetPath);
const sha = crypto.createHash('sha256').update(body).digest('hex');

interface Seen {
  url: string;
  range?: string;
}

describe('downloadModel', () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];
  /** Paths whose first full request is cut after this many bytes. */
  const cutOnce = new Map<string, number>();

  before(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      seen.push({ url, range: req.headers.range });
      if (url.endsWith('/missing.onnx')) {
        res.writeHead(404).end('no');
        return;
      }
      const data = url.includes('/corrupt/')
        ? Buffer.concat([body.subarray(0, 1000), Buffer.from('X'), body.subarray(1001)])
        : body;
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m && !url.includes('/norange/')) {
        const start = Number(m[1]);
        res.writeHead(206, {
          'content-length': data.length - start,
          'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
        });
        res.end(data.subarray(start));
        return;
      }
      res.writeHead(200, { 'content-length': data.length });
      const cut = cutOnce.get(url);
      if (cut !== undefined) {
        cutOnce.delete(url);
        res.write(data.subarray(0, cut), () => res.destroy());
        return;
      }
      res.end(data);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const home = () => fs.mkdtempSync(path.join(os.tmpdir(), 'accel-dl-'));
  const spec = (p: string): ModelDownload => ({
    url: `${base}${p}`,
    fileName: 'mobilenetv2-12-int8.onnx',
    sha256: sha,
  });

  it('downloads, verifies and caches; a second call uses the cache', async () => {
    const h = home();
    const fractions: number[] = [];
    const file = await downloadModel(spec('/ok/mobilenetv2-12-int8.onnx'), {
      home: h,
      mirror: '',
      progress: { report: (u) => u.fraction !== undefined && fractions.push(u.fraction) },
    });
    assert.equal(file, cachedModelPath(h, spec('/ok/x')));
    assert.ok(fs.readFileSync(file).equals(body));
    assert.equal(fractions[fractions.length - 1], 1);
    const count = seen.length;
    assert.equal(await downloadModel(spec('/ok/mobilenetv2-12-int8.onnx'), { home: h, mirror: '' }), file);
    assert.equal(seen.length, count, 'no second request');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['mobilenetv2-12-int8.onnx'], 'no partial or lock left');
  });

  it('refuses a checksum mismatch and keeps nothing', async () => {
    const h = home();
    await assert.rejects(
      downloadModel(spec('/corrupt/mobilenetv2-12-int8.onnx'), { home: h, mirror: '' }),
      (e) =>
        isAccelError(e, 'InvalidModel') &&
        /Checksum mismatch/.test(e.message) &&
        e.message.includes(sha) &&
        /ACCEL_MIRROR/.test(e.message),
    );
    const dir = path.dirname(cachedModelPath(h, spec('/x')));
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('resumes with an HTTP Range request after the transfer is cut', async () => {
    const h = home();
    const p = '/cut/mobilenetv2-12-int8.onnx';
    cutOnce.set(p, 1_000_000);
    const file = await downloadModel(spec(p), { home: h, mirror: '' });
    assert.ok(fs.readFileSync(file).equals(body));
    const requests = seen.filter((s) => s.url === p);
    assert.equal(requests.length, 2);
    assert.equal(requests[0].range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1].range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 1_000_000, `resumed at ${resumedAt}`);
  });

  it('starts over when the server ignores the range', async () => {
    const h = home();
    const p = '/norange/mobilenetv2-12-int8.onnx';
    cutOnce.set(p, 500_000);
    const file = await downloadModel(spec(p), { home: h, mirror: '' });
    assert.ok(fs.readFileSync(file).equals(body));
  });

  it('reports HTTP errors and stops on cancellation, keeping the partial file for a resume', async () => {
    await assert.rejects(
      downloadModel(spec('/x/missing.onnx'), { home: home(), mirror: '' }),
      (e) => isAccelError(e, 'Unavailable') && /HTTP 404/.test(e.message),
    );
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      downloadModel(spec('/ok/mobilenetv2-12-int8.onnx'), {
        home: home(),
        mirror: '',
        cancel: signalFromAbort(ac.signal),
      }),
      (e) => isAccelError(e, 'Cancelled') && /resume/.test(e.message),
    );
    // Cancelled mid-transfer: the partial file stays, and the next call resumes from it.
    const h = home();
    const p = '/cancel/mobilenetv2-12-int8.onnx';
    const mid = new AbortController();
    const progress = {
      report: (u: { fraction?: number }) => u.fraction !== undefined && u.fraction > 0 && mid.abort(),
    };
    await assert.rejects(
      downloadModel(spec(p), { home: h, mirror: '', progress, cancel: signalFromAbort(mid.signal) }),
      (e) => isAccelError(e, 'Cancelled'),
    );
    const partial = `${cachedModelPath(h, spec(p))}.partial`;
    assert.ok(fs.statSync(partial).size > 0);
    const file = await downloadModel(spec(p), { home: h, mirror: '' });
    assert.ok(fs.readFileSync(file).equals(body));
    assert.match(seen.filter((s) => s.url === p).pop()?.range ?? '', /^bytes=\d+-$/);
  });

  it('takes the file from a mirror folder or a mirror base URL', async () => {
    const h = home();
    const file = await fetchSampleModel({ home: h, mirror: path.dirname(mobilenetPath) });
    assert.equal(file, cachedModelPath(h, SAMPLE_MODEL));
    assert.ok(fs.readFileSync(file).equals(body));
    const viaUrl = await fetchSampleModel({ home: home(), mirror: `${base}/mirror/` });
    assert.ok(fs.readFileSync(viaUrl).equals(body));
    assert.ok(seen.some((s) => s.url === '/mirror/mobilenetv2-12-int8.onnx'));
    const emptyMirror = fs.mkdtempSync(path.join(os.tmpdir(), 'accel-mirror-'));
    await assert.rejects(
      fetchSampleModel({ home: home(), mirror: emptyMirror }),
      (e) =>
        isAccelError(e, 'NotFound') &&
        e.message.includes(emptyMirror) &&
        /has no mobilenetv2-12-int8\.onnx/.test(e.message),
    );
  });

  it('offline without a mirror says to set ACCEL_MIRROR', async () => {
    const offline: ModelDownload = {
      ...SAMPLE_MODEL,
      url: 'http://accel-no-such-host.invalid/mobilenetv2-12-int8.onnx',
    };
    await assert.rejects(
      downloadModel(offline, { home: home(), mirror: '' }),
      (e) => isAccelError(e, 'Unavailable') && /offline/.test(e.message) && /Set ACCEL_MIRROR/.test(e.message),
    );
  });
});
