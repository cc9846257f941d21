// Issue 10, finding 3 (decoder CPU amplification), through the real CLI, emulator host and gRPC over loopback:
// hostile image files get a fast INVALID_ARGUMENT naming the fault, a job that outlives its call is abandoned,
// a worker stuck past its budget is replaced, and after each the same replica scores the next real photo.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readHostInfo } from '../../../src/emulator/host/hostControl';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import {
  animated,
  avifFile,
  heicHeader,
  pngClaiming,
  progressiveScanBomb,
  slowSvg,
  tiffFile,
} from '../../support/hostileImages';
import { mobilenetPath } from '../../support/paths';
import { bearer, tfServingStub } from '../emulator/wireClients';

// A small per-job budget for this host, so the budget test needs a batch of seconds, not a minute.
const JOB_BUDGET_MS = 4000;
const home = new AccelHome({ ACCEL_JOB_BUDGET_MS: String(JOB_BUDGET_MS) });
const W = ['--workspace', 'dec'];
const parrot = fs.readFileSync(PHOTOS.find((p) => p.file.endsWith('parrot.jpg'))!.file);

const images = (...files: Buffer[]) => ({
  inputs: { input: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: files.length }] }, string_val: files } },
});

/** Server CPU of a process (user + system), ms, from /proc. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

describe('hostile images through the real emulator', { timeout: 240_000 }, () => {
  let stub: grpc.Client & Record<string, Function>;
  let key: string;
  let pid: number;

  const predict = (
    request: object,
    deadlineMs = 60_000,
  ): Promise<{ code: grpc.status; details: string; top?: number }> =>
    new Promise((resolve) =>
      stub.Predict(
        request,
        bearer(key),
        { deadline: Date.now() + deadlineMs },
        (err: grpc.ServiceError | null, res: any) => {
          if (err) return resolve({ code: err.code, details: err.details });
          const scores: number[] = res.outputs.output.float_val;
          resolve({ code: grpc.status.OK, details: '', top: scores.indexOf(Math.max(...scores)) });
        },
      ),
    );

  let logFile: string;
  const log = async () => fs.readFileSync(logFile, 'utf8');

  /** Polls the service log (the file `accel service logs` reads) until `pattern` appears (bounded), returns the log. */
  const logShows = async (pattern: RegExp): Promise<string> => {
    for (let i = 0; i < 240; i++) {
      const text = await log();
      if (pattern.test(text)) return text;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`the service log never showed ${pattern}:\n${await log()}`);
  };

  const servesTheNextPhoto = async () => {
    const r = await predict(images(parrot));
    assert.equal(r.code, grpc.status.OK, `next real photo: ${grpc.status[r.code]} ${r.details}`);
    assert.equal(r.top, 88, 'parrot.jpg scores as 88 macaw');
    assert.equal(readHostInfo(home.home)?.pid, pid, 'the same host process serves');
  };

  const refused = async (name: string, file: Buffer, pattern: RegExp) => {
    const c0 = cpuMs(pid);
    const r = await predict(images(file));
    assert.equal(r.code, grpc.status.INVALID_ARGUMENT, `${name}: ${grpc.status[r.code]} ${r.details}`);
    assert.match(r.details, pattern, name);
    return cpuMs(pid) - c0;
  };

  before(async () => {
    await setupImage(home, 'dec', mobilenetPath);
    const svc = (await home.run(['service', 'deploy', 'dec-svc', '--image', 'mobilenet-image', '--json', ...W])).json;
    key = (await home.run(['service', 'keys', 'dec-svc', '--json', ...W])).json.primaryKey;
    pid = readHostInfo(home.home)!.pid;
    logFile = (await home.run(['service', 'logs', 'dec-svc', '--json', ...W])).json.logs[0].source;
    stub = tfServingStub(svc.port);
    await servesTheNextPhoto();
  });

  after(async () => {
    stub?.close();
    await home.cleanup();
  });

  it('a 78 KB progressive JPEG with 1700 scans is refused by its scan count, before any decoding', async (t) => {
    const bomb = progressiveScanBomb(3600, 3600, 1700);
    const cpu = await refused('scan bomb', bomb, /progressive JPEG with more than 100 scans.*Re-encode it/);
    t.diagnostic(`scan bomb (${bomb.length} bytes): host CPU ${cpu} ms (clock-tick resolution 10 ms)`);
    await servesTheNextPhoto();
  });

  it('SVG, TIFF, AVIF and HEIF are refused by their magic bytes, naming the format and the supported ones', async () => {
    const svg = slowSvg();
    assert.ok(svg.length < 470);
    await refused('svg', svg, /is in SVG format; this server decodes only JPEG, PNG, GIF, WebP or BMP.*Convert it/);
    await refused('tiff', await tiffFile(), /is in TIFF format/);
    await refused('avif', await avifFile(), /is in AVIF format/);
    await refused('heic', heicHeader(), /is in HEIF format/);
    await refused(
      'unknown',
      Buffer.from('\x00\x01\x02 certainly no image at all'),
      /could not be decoded as JPEG, PNG, GIF, WebP or BMP.*first bytes/,
    );
    await servesTheNextPhoto();
  });

  it('a PNG header claiming 100000×100000 pixels is refused by the pixel limit; an animated GIF or WebP scores its first frame', async () => {
    await refused('png bomb', await pngClaiming(100_000, 100_000), /40,000,000-pixel limit/);
    for (const format of ['gif', 'webp'] as const) {
      const r = await predict(images(await animated(format, 300, 64, 64)));
      assert.equal(r.code, grpc.status.OK, `${format}: ${r.details}`);
    }
    await servesTheNextPhoto();
  });

  // 64 legitimate 36-megapixel JPEGs: each decodes in a few hundred ms, the batch in well over the budget.
  const slowBatch = async () => {
    const big = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#468' } })
      .jpeg()
      .toBuffer();
    return images(...new Array(64).fill(big));
  };

  it('a slow batch whose client deadline passes is abandoned in the worker, and the replica serves the next photo', async () => {
    const r = await predict(await slowBatch(), 1500);
    assert.equal(r.code, grpc.status.DEADLINE_EXCEEDED, `${grpc.status[r.code]} ${r.details}`);
    // Either the worker stops before its next image, or (an image still decoding past the grace) it is replaced.
    // grpc-js ends the call at its deadline, so the worker sees it cancelled (or past its deadline, whichever first).
    const text = await logShows(
      /(cancelled the call|deadline passed); the request was abandoned before image \d+ of 64|outlived its call.*replacing the worker/,
    );
    const stoppedAt = /abandoned before image (\d+) of 64/.exec(text);
    if (stoppedAt) assert.ok(Number(stoppedAt[1]) < 64, 'the worker did not decode the whole batch');
    await servesTheNextPhoto();
  });

  it('a job past its budget has its worker terminated and replaced; the replica comes back and serves', async () => {
    const loadedBefore = (await log()).match(/replica on device \d+ loaded/g)?.length ?? 0;
    const r = await predict(await slowBatch(), 120_000);
    assert.equal(r.code, grpc.status.INVALID_ARGUMENT, `${grpc.status[r.code]} ${r.details}`);
    assert.match(
      r.details,
      new RegExp(
        `ran for more than ${JOB_BUDGET_MS} ms on the replica \\(the per-request budget\\).*Send smaller images`,
      ),
    );
    const text = await logShows(new RegExp(`used its ${JOB_BUDGET_MS} ms budget.*replacing the worker`));
    assert.match(text, /replacing the worker/);
    await servesTheNextPhoto();
    const loadedAfter = (await log()).match(/replica on device \d+ loaded/g)?.length ?? 0;
    assert.equal(loadedAfter, loadedBefore + 1, 'one fresh worker loaded the model');
    const show = (await home.run(['service', 'show', 'dec-svc', '--json', ...W])).json;
    assert.equal(show.state, 'Running', 'the host reports the service Running');
  });
});
