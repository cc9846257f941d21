// The one scoring use case both faces use, against the real emulator host and the real MobileNetV2: top-1 of the
// shared photos, the latency breakdown, the key refresh after a regeneration elsewhere, the warm-channel cache, and
// the refusal of a service that runs elsewhere when no remote target is given.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../../src/domain/types';
import { startHost, waitForService } from '../../../src/emulator/host/hostControl';
import { ScorerCache } from '../../../src/scoring/scorerCache';
import { ServiceScorer, type ScoringPorts } from '../../../src/scoring/serviceScorer';
import { openStore } from '../../../src/store/fileStore';
import { AccelHome, PHOTOS, setupImage } from '../../support/accelCli';
import { mobilenetPath } from '../../support/paths';

describe('ServiceScorer against the real emulator host', () => {
  const home = new AccelHome({ ACCEL_MIRROR: path.dirname(mobilenetPath) });
  const ws = 'scoring';
  const store = () => openStore(home.home);
  const ports: ScoringPorts = {
    ensureServing: async (service) => {
      const { client } = await startHost(home.home);
      await waitForService(client, service.name);
    },
  };
  const service = async (name: string): Promise<Service> =>
    (await store().read(ws)).services.find((s) => s.name === name)!;

  before(async () => {
    await setupImage(home, ws, mobilenetPath);
    await home.run(['service', 'deploy', 'keyed', '--image', 'mobilenet-image:1', '--json', '--workspace', ws]);
  });
  after(() => home.cleanup());

  it('scores every shared photo right, with server timings inside the client total', async () => {
    const scorer = await ServiceScorer.open(store(), ws, await service('keyed'), ports);
    try {
      for (const photo of PHOTOS) {
        const r = await scorer.scoreFile(photo.file, 5);
        assert.equal(r.top.length, 5);
        assert.ok(
          photo.accepts(
            r.top[0].index,
            r.top.map((p) => p.index),
          ),
          `${path.basename(photo.file)}: expected ${photo.expected}, got ${r.top[0].index} ${r.top[0].label}`,
        );
        assert.equal(r.boxes.length, 0, 'a classifier has no boxes');
        const server = (r.latency.queueMs ?? 0) + (r.latency.preprocessMs ?? 0) + (r.latency.inferenceMs ?? 0);
        assert.ok(
          r.latency.inferenceMs !== undefined && r.latency.preprocessMs !== undefined,
          'the server reports its timings',
        );
        assert.ok(server <= r.latency.clientMs + 0.5, 'server time fits inside the client total');
        assert.equal(r.timings.attempts, 1);
      }
    } finally {
      scorer.close();
    }
  });

  it('keeps scoring after the key is regenerated elsewhere: re-reads the key once and retries', async () => {
    const scorer = await ServiceScorer.open(store(), ws, await service('keyed'), ports);
    try {
      const photo = PHOTOS[1];
      await scorer.scoreFile(photo.file, 1);
      await home.run(['service', 'regen-key', 'keyed', 'primary', '--json', '--workspace', ws]);
      const r = await scorer.scoreFile(photo.file, 1);
      assert.ok(photo.accepts(r.top[0].index, []), `after regen-key: ${r.top[0].label}`);
    } finally {
      scorer.close();
    }
  });

  it('a scorer given a stale key that the store also holds fails with UNAUTHENTICATED, not a retry loop', async () => {
    const scorer = await ServiceScorer.open(store(), ws, await service('keyed'), {
      ...ports,
      key: async () => 'not-the-key',
    });
    try {
      await assert.rejects(scorer.scoreFile(PHOTOS[0].file, 1), (e: { code?: number }) => e.code === 16);
    } finally {
      scorer.close();
    }
  });

  it('the cache keeps one warm scorer per service and replaces it when the service changes', async () => {
    const cache = new ScorerCache(store(), () => ports);
    try {
      const first = await cache.get(ws, await service('keyed'));
      assert.equal(await cache.get(ws, await service('keyed')), first, 'the same scorer for the same service');
      const changed = { ...(await service('keyed')), port: (await service('keyed')).port + 1 };
      const next = cache.get(ws, changed);
      assert.notEqual(await next.catch((e) => e), first, 'a changed service gets a new scorer');
      const again = await cache.get(ws, await service('keyed'));
      const r = await again.scoreFile(PHOTOS[0].file, 1);
      assert.ok(PHOTOS[0].accepts(r.top[0].index, []));
    } finally {
      cache.dispose();
    }
  });

  it('refuses a Kubernetes service when the face gives no remote target, and says how to score it', async () => {
    const local = await service('keyed');
    const remote: Service = { ...local, target: 'kubernetes' };
    await assert.rejects(
      ServiceScorer.open(store(), ws, remote, ports),
      /runs on Kubernetes; score it with `accel score keyed/,
    );
  });
});
