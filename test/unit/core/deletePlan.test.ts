// The plan of "Delete with Dependents": exactly what goes, in an order in which each single delete succeeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertCanDelete } from '../../../src/core/dependencies';
import { deletePlan } from '../../../src/core/deletePlan';
import { isAccelError } from '../../../src/domain/errors';
import type { Image, Model, Service, WorkspaceState } from '../../../src/domain/types';
import { emptyState } from '../../../src/store/schema';

const model = (id: string, parentId?: string) =>
  ({ id, name: id.split(':')[0], version: Number(id.split(':')[1]), ...(parentId ? { parentId } : {}) }) as Model;
const image = (id: string, modelId: string) => ({ id, modelId }) as Image;
const service = (name: string, imageId: string) => ({ name, imageId }) as Service;

/** m:1 → raw:1 → svc-raw; m:1 → converted c:1 → classifier:1 → svc-a, svc-b; m:2 unrelated. */
function chain(): WorkspaceState {
  const s = emptyState('ws', 't');
  s.models.push(model('m:1'), model('m:2'), model('c:1', 'm:1'));
  s.images.push(image('raw:1', 'm:1'), image('classifier:1', 'c:1'), image('other:1', 'm:2'));
  s.services.push(service('svc-raw', 'raw:1'), service('svc-b', 'classifier:1'), service('svc-a', 'classifier:1'));
  return s;
}

const labels = (s: WorkspaceState, kind: 'model' | 'image' | 'service', id: string) =>
  deletePlan(s, { kind, id }).map((d) => d.label);

describe('delete plan', () => {
  it('a registered model: services → images → converted models → the model, and nothing unrelated', () => {
    assert.deepEqual(labels(chain(), 'model', 'm:1'), [
      'service svc-a',
      'service svc-b',
      'service svc-raw',
      'image classifier:1',
      'image raw:1',
      'converted model c:1',
      'model m:1',
    ]);
  });

  it('an image: its services, then the image; a converted model: its images and services, then itself', () => {
    assert.deepEqual(labels(chain(), 'image', 'classifier:1'), [
      'service svc-a',
      'service svc-b',
      'image classifier:1',
    ]);
    assert.deepEqual(labels(chain(), 'model', 'c:1'), [
      'service svc-a',
      'service svc-b',
      'image classifier:1',
      'converted model c:1',
    ]);
    assert.deepEqual(labels(chain(), 'service', 'svc-a'), ['service svc-a']);
    assert.deepEqual(labels(chain(), 'model', 'm:2'), ['image other:1', 'model m:2']);
  });

  it('each step may be deleted once the steps before it are gone', () => {
    const s = chain();
    for (const step of deletePlan(s, { kind: 'model', id: 'm:1' })) {
      assert.doesNotThrow(() => assertCanDelete(s, step), step.label);
      s.services = s.services.filter((x) => !(step.kind === 'service' && x.name === step.id));
      s.images = s.images.filter((x) => !(step.kind === 'image' && x.id === step.id));
      s.models = s.models.filter((x) => !(step.kind === 'model' && x.id === step.id));
    }
    assert.deepEqual(
      s.models.map((m) => m.id),
      ['m:2'],
    );
    assert.deepEqual(
      s.images.map((i) => i.id),
      ['other:1'],
    );
  });

  it('each step carries the CLI command of its single delete', () => {
    assert.deepEqual(
      deletePlan(chain(), { kind: 'image', id: 'raw:1' }).map((d) => d.deleteCommand),
      ['accel service delete svc-raw', 'accel image delete raw:1'],
    );
  });

  it('an entity that does not exist is NotFound', () => {
    assert.throws(
      () => deletePlan(chain(), { kind: 'model', id: 'nope:1' }),
      (e) => isAccelError(e, 'NotFound') && /nope:1/.test(e.message),
    );
  });
});
