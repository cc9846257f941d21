// Per-view refresh: requests within the delay make one refresh that logs every reason, a hidden view marks itself
// stale and refreshes (once) when shown, and a store change reaches only the views it affects. Timers are Node's
// mocked timers, so nothing here depends on the machine's speed.
import * as assert from 'node:assert/strict';
import { beforeEach, afterEach, describe, it, mock } from 'node:test';
import {
  affects,
  describeStoreChange,
  REFRESH_DELAY_MS,
  ViewRefresh,
  type StoreChange,
} from '../../../src/vscode/trees/viewRefresh';

function change(over: Partial<StoreChange> = {}): StoreChange {
  return { workspaces: new Set(), config: false, byCommand: false, unknown: false, ...over };
}

describe('ViewRefresh', () => {
  let fired: number;
  let visible: boolean;
  let log: string[];
  let r: ViewRefresh;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    fired = 0;
    visible = true;
    log = [];
    r = new ViewRefresh('accel.models', { fire: () => fired++, visible: () => visible, trace: (m) => log.push(m) });
  });
  afterEach(() => {
    r.dispose();
    mock.timers.reset();
  });

  it('coalesces requests within the delay into one refresh that names every reason', () => {
    r.request('store change of workspace alpha');
    r.request('user refresh');
    r.request('user refresh');
    mock.timers.tick(REFRESH_DELAY_MS - 1);
    assert.equal(fired, 0, 'nothing before the delay');
    mock.timers.tick(1);
    assert.equal(fired, 1);
    assert.deepEqual(log, ['accel.models: refresh (store change of workspace alpha; user refresh)']);
    r.request('emulator status');
    mock.timers.tick(REFRESH_DELAY_MS);
    assert.equal(fired, 2, 'a later request makes a new refresh');
    assert.equal(log[1], 'accel.models: refresh (emulator status)');
  });

  it('a hidden view marks itself stale and refreshes once when it becomes visible', () => {
    visible = false;
    r.request('store change of workspace alpha');
    mock.timers.tick(REFRESH_DELAY_MS);
    r.request('emulator status');
    mock.timers.tick(REFRESH_DELAY_MS);
    assert.equal(fired, 0, 'no refresh while hidden');
    assert.ok(r.stale);
    assert.match(log[0], /hidden, marked stale \(store change of workspace alpha\)/);
    visible = true;
    r.shown();
    mock.timers.tick(REFRESH_DELAY_MS);
    assert.equal(fired, 1);
    assert.equal(r.stale, false);
    assert.match(
      log.at(-1)!,
      /refresh \(shown after changes while hidden: store change of workspace alpha; emulator status\)$/,
    );
    r.shown();
    mock.timers.tick(REFRESH_DELAY_MS);
    assert.equal(fired, 1, 'showing a fresh view again does not refresh it');
  });

  it('visibility is read when the refresh is due: hidden within the delay means stale', () => {
    r.request('user refresh');
    visible = false;
    mock.timers.tick(REFRESH_DELAY_MS);
    assert.equal(fired, 0);
    assert.ok(r.stale);
  });

  it('dispose drops a pending refresh', () => {
    r.request('user refresh');
    r.dispose();
    mock.timers.tick(REFRESH_DELAY_MS * 2);
    assert.equal(fired, 0);
  });
});

describe('which views a store change affects', () => {
  it("a workspace's state change reaches the views showing that workspace and the Workspaces view", () => {
    const c = change({ workspaces: new Set(['beta']) });
    assert.equal(affects(c, 'activeWorkspace', 'alpha'), false, 'Models of alpha ignore beta');
    assert.equal(affects(c, 'activeWorkspace', 'beta'), true);
    assert.equal(affects(c, 'allWorkspaces', 'alpha'), true, 'the Workspaces view lists every workspace');
    assert.equal(affects(c, 'activeWorkspace', undefined), true, 'a view not read yet takes every change');
  });

  it('a config change (active workspace), a command or an unnamed change reaches every view', () => {
    for (const c of [change({ config: true }), change({ byCommand: true }), change({ unknown: true })])
      assert.equal(affects(c, 'activeWorkspace', 'alpha'), true, describeStoreChange(c));
  });

  it('describes the change as the refresh reason', () => {
    assert.equal(
      describeStoreChange(change({ workspaces: new Set(['alpha', 'beta']), config: true })),
      'store change of workspace alpha, beta; active workspace (config.json)',
    );
    assert.equal(describeStoreChange(change({ byCommand: true })), 'a command changed the store');
  });
});
