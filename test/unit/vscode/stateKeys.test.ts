// The walkthrough ticks from state: each step's completion event names a context key that stateKeys computes from
// the store and the emulator's status, so a step done through the CLI counts too.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { HostStatus } from '../../../src/emulator/host/hostControl';
import { stateKeys } from '../../../src/vscode/stateKeys';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const live = (services: Array<{ workspace: string; name: string; requests: number }>) =>
  ({ services }) as unknown as HostStatus;

describe('walkthrough state keys', () => {
  it('follow the active workspace: models, converted models, services, and a service that answered', () => {
    assert.deepEqual(stateKeys(undefined, undefined, undefined), {
      'accel.hasService': false,
      'accel.hasModel': false,
      'accel.hasConverted': false,
      'accel.hasScored': false,
    });
    const state = { models: [{}, { parentId: 'm:1' }], services: [{ name: 'svc' }] };
    assert.deepEqual(stateKeys(state, 'ws', live([{ workspace: 'ws', name: 'svc', requests: 0 }])), {
      'accel.hasService': true,
      'accel.hasModel': true,
      'accel.hasConverted': true,
      'accel.hasScored': false,
    });
    assert.equal(
      stateKeys(state, 'ws', live([{ workspace: 'ws', name: 'svc', requests: 3 }]))['accel.hasScored'],
      true,
    );
    // Requests to a service of another workspace (or one this workspace no longer has) do not count.
    assert.equal(
      stateKeys(state, 'ws', live([{ workspace: 'other', name: 'svc', requests: 3 }]))['accel.hasScored'],
      false,
    );
    assert.equal(
      stateKeys({ ...state, services: [] }, 'ws', live([{ workspace: 'ws', name: 'svc', requests: 3 }]))[
        'accel.hasScored'
      ],
      false,
    );
    assert.equal(stateKeys({ models: [{ parentId: 'x:1' }], services: [] }, 'ws', undefined)['accel.hasModel'], false);
  });

  it('every walkthrough step completes from a context key as well as from its command', () => {
    const known = new Set([...Object.keys(stateKeys(undefined, undefined, undefined)), 'accel.hasWorkspace']);
    for (const step of pkg.contributes.walkthroughs[0].steps as Array<{ id: string; completionEvents: string[] }>) {
      const contexts = step.completionEvents
        .filter((e) => e.startsWith('onContext:'))
        .map((e) => e.slice('onContext:'.length));
      assert.equal(contexts.length, 1, `step ${step.id} completes from state`);
      assert.ok(known.has(contexts[0]), `step ${step.id}: ${contexts[0]} is a key the extension sets`);
      assert.ok(
        step.completionEvents.some((e) => e.startsWith('onCommand:')),
        `step ${step.id} also completes from its command`,
      );
    }
  });
});
