// The replicas' threading plan and the "cores are free" check the pool uses before giving a request the solo
// session: pure functions, fed with the inputs they read.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threadingPlan } from '../../../src/emulator/runtime/threadingPlan';
import { coresAreFree, otherRunnableThreads } from '../../../src/emulator/runtime/runnableThreads';
import { replicaSessionOptions } from '../../../src/emulator/runtime/sessionOptions';

describe('threading plan', () => {
  it('two replicas on two cores: one thread each without spinning, and a solo session with both cores, spinning', () => {
    assert.deepEqual(threadingPlan(2, 2, 1, {}), {
      shared: { intraOpThreads: 1, spinning: false },
      solo: { intraOpThreads: 2, spinning: true },
      soloWhen: 'coresFree',
    });
  });

  it('one replica that owns every core spins in its only session; no solo session', () => {
    assert.deepEqual(threadingPlan(4, 1, 4, {}), { shared: { intraOpThreads: 4, spinning: true } });
  });

  it('one replica with fewer threads than cores still gets a solo session for the whole machine', () => {
    assert.deepEqual(threadingPlan(4, 1, 2, {}).solo, { intraOpThreads: 4, spinning: true });
  });

  it('a single core never spins and has nothing to hand a lone request', () => {
    assert.deepEqual(threadingPlan(1, 2, 1, {}), { shared: { intraOpThreads: 1, spinning: false } });
  });

  it('ACCEL_SOLO_SESSION=off drops the solo session (memory), keeps the shared one', () => {
    for (const value of ['off', 'OFF', '0', 'false', 'no']) {
      assert.deepEqual(threadingPlan(2, 2, 1, { ACCEL_SOLO_SESSION: value }), {
        shared: { intraOpThreads: 1, spinning: false },
      });
    }
    assert.ok(threadingPlan(2, 2, 1, { ACCEL_SOLO_SESSION: 'auto' }).solo);
  });

  it('ACCEL_SOLO_SESSION=always: a lone request runs solo whatever else the machine runs', () => {
    assert.equal(threadingPlan(2, 2, 1, { ACCEL_SOLO_SESSION: 'always' }).soloWhen, 'serviceIdle');
    assert.equal(threadingPlan(2, 2, 1, {}).soloWhen, 'coresFree');
  });

  it('nonsense thread counts are clamped to at least one', () => {
    assert.deepEqual(threadingPlan(0, 2, 0, {}), { shared: { intraOpThreads: 1, spinning: false } });
  });

  it('session options: spinning threads stop when a run ends; no spinning means none at all', () => {
    const spin = replicaSessionOptions({ intraOpThreads: 2, spinning: true });
    assert.equal(spin.intraOpNumThreads, 2);
    assert.deepEqual(spin.extra, {
      session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '0' }, force_spinning_stop: '1' },
    });
    const still = replicaSessionOptions({ intraOpThreads: 1, spinning: false });
    assert.deepEqual(still.extra, {
      session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' }, force_spinning_stop: '0' },
    });
  });
});

describe('runnable threads (/proc/loadavg)', () => {
  it('counts the runnable threads other than the reader', () => {
    assert.equal(
      otherRunnableThreads(() => '0.50 1.05 1.19 1/235 17575\n'),
      0,
    );
    assert.equal(
      otherRunnableThreads(() => '8.77 7.25 4.22 11/235 17575\n'),
      10,
    );
  });

  it('free while fewer other threads are runnable than there are cores', () => {
    assert.equal(
      coresAreFree(2, () => '0.10 0.20 0.30 1/100 42'),
      true,
    );
    assert.equal(
      coresAreFree(2, () => '0.10 0.20 0.30 2/100 42'),
      true,
    );
    assert.equal(
      coresAreFree(2, () => '0.10 0.20 0.30 3/100 42'),
      false,
    );
    assert.equal(
      coresAreFree(4, () => '9.00 9.00 9.00 11/300 42'),
      false,
    );
  });

  it('unreadable or unexpected contents count as free (no platform penalty), never throw', () => {
    assert.equal(
      otherRunnableThreads(() => {
        throw new Error('ENOENT');
      }),
      undefined,
    );
    assert.equal(
      otherRunnableThreads(() => 'garbage'),
      undefined,
    );
    assert.equal(
      coresAreFree(2, () => {
        throw new Error('ENOENT');
      }),
      true,
    );
  });
});
