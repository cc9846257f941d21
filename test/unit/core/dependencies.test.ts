// Every dependency rule, over states built directly (images, services, computes, converted models).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  allDependents,
  assertCanDelete,
  assertCanDeleteWorkspace,
  convertedFrom,
  directDependents,
  sourceDeleted,
  type DependentsDetail,
} from '../../../src/core/dependencies';
import { type AccelError, isAccelError } from '../../../src/domain/errors';
import { deleteModel, registerModel } from '../../../src/core/models';
import type { Compute, Image, Model, Service, WorkspaceState } from '../../../src/domain/types';
import { deleteWorkspace } from '../../../src/core/workspaces';
import { openStore } from '../../../src/store/fileStore';
import { emptyState } from '../../../src/store/schema';
import { mobilenetPath } from '../../support/paths';

const HASH = 'a'.repeat(64);

function model(name: string, version: number, parentId?: string): Model {
  return {
    id: `${name}:${version}`,
    name,
    version,
    framework: 'onnx',
    tags: {},
    properties: {},
    createdTime: 't',
    blob: HASH,
    fileName: 'm.onnx',
    sizeBytes: 1,
    inputs: [],
    outputs: [],
    preset: 'none',
    labels: 'none',
    ...(parentId ? { parentId } : {}),
  };
}
function image(name: string, version: number, modelId: string): Image {
  return {
    id: `${name}:${version}`,
    name,
    version,
    modelId,
    tags: {},
    createdTime: 't',
    state: 'Succeeded',
    digest: HASH,
  };
}
function service(name: string, imageId: string, computeName?: string): Service {
  return {
    name,
    imageId,
    target: 'local',
    ...(computeName ? { computeName } : {}),
    tags: {},
    createdTime: 't',
    updatedTime: 't',
    port: 1,
    replicas: 1,
    authEnabled: false,
  };
}
function compute(name: string): Compute {
  return { name, kind: 'local-emulator', createdTime: 't', properties: {} };
}

/** mobilenet:1 → converted mobilenet.1.accelonnx:1 → image classifier:1 → service svc-a (on compute fpga-1). */
function chain(): WorkspaceState {
  const s = emptyState('ws', 't');
  s.models.push(model('mobilenet', 1), model('mobilenet', 2), model('mobilenet.1.accelonnx', 1, 'mobilenet:1'));
  s.images.push(
    image('classifier', 1, 'mobilenet.1.accelonnx:1'),
    image('raw', 1, 'mobilenet:1'),
    image('unused', 1, 'mobilenet:2'),
  );
  s.services.push(service('svc-a', 'classifier:1', 'fpga-1'), service('svc-b', 'classifier:1'));
  s.computes.push(compute('fpga-1'), compute('fpga-2'));
  return s;
}

function refusal(fn: () => void): AccelError {
  try {
    fn();
  } catch (e) {
    assert.ok(isAccelError(e, 'HasDependents'), String(e));
    return e;
  }
  assert.fail('expected HasDependents');
}

describe('dependency rules', () => {
  it('a model used by an image refuses, naming the blockers and the full delete order; its converted model does not block', () => {
    const e = refusal(() => assertCanDelete(chain(), { kind: 'model', id: 'mobilenet:1' }));
    assert.equal(
      e.message,
      'Model mobilenet:1 is used by image raw:1. Delete in this order: accel image delete raw:1; accel model delete mobilenet:1.',
    );
    const detail = e.detail as DependentsDetail;
    assert.deepEqual(detail.workspace, 'ws');
    assert.deepEqual(detail.target, { kind: 'model', id: 'mobilenet:1', label: 'model mobilenet:1' });
    assert.deepEqual(
      detail.blockers.map((d) => `${d.kind} ${d.id}`),
      ['image raw:1'],
    );
    assert.deepEqual(
      detail.dependents.map((d) => `${d.kind} ${d.id}`),
      ['image raw:1'],
    );
  });

  it('a converted model used by an image refuses (service → image → converted model)', () => {
    const e = refusal(() => assertCanDelete(chain(), { kind: 'model', id: 'mobilenet.1.accelonnx:1' }));
    assert.match(
      e.message,
      /^Converted model mobilenet\.1\.accelonnx:1 is used by image classifier:1\. Delete in this order: accel service delete svc-a; accel service delete svc-b; accel image delete classifier:1; accel model delete mobilenet\.1\.accelonnx:1\.$/,
    );
  });

  it('a model used only by an image refuses', () => {
    const e = refusal(() => assertCanDelete(chain(), { kind: 'model', id: 'mobilenet:2' }));
    assert.equal(
      e.message,
      'Model mobilenet:2 is used by image unused:1. Delete in this order: accel image delete unused:1; accel model delete mobilenet:2.',
    );
  });

  it('a model with only a converted child may go first; the child keeps its lineage as "source deleted"', () => {
    const s = emptyState('ws', 't');
    s.models.push(model('m', 1), model('m.1.accelonnx', 1, 'm:1'));
    assert.doesNotThrow(() => assertCanDelete(s, { kind: 'model', id: 'm:1' }));
    assert.deepEqual(directDependents(s, { kind: 'model', id: 'm:1' }), []);
    assert.deepEqual(
      convertedFrom(s, 'm:1').map((m) => m.id),
      ['m.1.accelonnx:1'],
    );
    assert.equal(sourceDeleted(s, s.models[1]), false);
    s.models = s.models.filter((m) => m.id !== 'm:1');
    assert.equal(sourceDeleted(s, s.models[0]), true, 'parent gone, parentId kept');
    assert.equal(sourceDeleted(s, model('m', 2)), false, 'a registered model has no source');
  });

  it('an image used by services refuses; a compute used by a service refuses', () => {
    const img = refusal(() => assertCanDelete(chain(), { kind: 'image', id: 'classifier:1' }));
    assert.equal(
      img.message,
      'Image classifier:1 is used by service svc-a and service svc-b. Delete in this order: accel service delete svc-a; accel service delete svc-b; accel image delete classifier:1.',
    );
    const comp = refusal(() => assertCanDelete(chain(), { kind: 'compute', id: 'fpga-1' }));
    assert.equal(
      comp.message,
      'Compute fpga-1 is used by service svc-a. Delete in this order: accel service delete svc-a; accel compute delete fpga-1.',
    );
  });

  it('entities without dependents may go: services, unused images, unused computes, leaf models', () => {
    const s = chain();
    for (const ref of [
      { kind: 'service', id: 'svc-a' },
      { kind: 'image', id: 'raw:1' },
      { kind: 'compute', id: 'fpga-2' },
    ] as const) {
      assert.doesNotThrow(() => assertCanDelete(s, ref));
      assert.deepEqual(directDependents(s, ref), []);
    }
    const leaf = emptyState('ws', 't');
    leaf.models.push(model('m', 1));
    assert.doesNotThrow(() => assertCanDelete(leaf, { kind: 'model', id: 'm:1' }));
    assert.deepEqual(allDependents(leaf, { kind: 'model', id: 'm:1' }), []);
  });

  it('a workspace refuses while it has services, even with force; otherwise needs force while not empty', () => {
    const e = refusal(() => assertCanDeleteWorkspace(chain(), true));
    assert.equal(
      e.message,
      'Workspace ws still has services svc-a and svc-b. Delete in this order: accel service delete svc-a --workspace ws; accel service delete svc-b --workspace ws; accel workspace delete ws.',
    );
    const noServices = chain();
    noServices.services = [];
    const f = refusal(() => assertCanDeleteWorkspace(noServices));
    assert.equal(
      f.message,
      'Workspace ws still holds 3 models, 3 images and 2 computes. Delete them first, or pass --force to delete the workspace with everything in it.',
    );
    assert.doesNotThrow(() => assertCanDeleteWorkspace(noServices, true));
    assert.doesNotThrow(() => assertCanDeleteWorkspace(emptyState('ws', 't')));
  });

  it('deleteModel and deleteWorkspace enforce the rules on a real store and leave it unchanged when refused', async () => {
    const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'accel-deps-')));
    await store.createWorkspace('ws');
    const m = await registerModel(store, 'ws', { path: mobilenetPath, name: 'mobilenet' });
    await store.update('ws', (s) => {
      s.images.push(image('classifier', 1, m.id));
      s.services.push(service('svc-a', 'classifier:1'));
    });
    const before = fs.readFileSync(store.stateFile('ws'), 'utf8');
    await assert.rejects(
      deleteModel(store, 'ws', 'mobilenet:1'),
      (e) =>
        isAccelError(e, 'HasDependents') &&
        /accel service delete svc-a; accel image delete classifier:1; accel model delete mobilenet:1/.test(e.message),
    );
    await assert.rejects(
      deleteWorkspace(store, 'ws', { force: true }),
      (e) => isAccelError(e, 'HasDependents') && /svc-a/.test(e.message),
    );
    assert.equal(fs.readFileSync(store.stateFile('ws'), 'utf8'), before);
    assert.ok(fs.existsSync(store.blobPath('ws', m.blob)));
    await store.update('ws', (s) => {
      s.services = [];
    });
    await assert.rejects(
      deleteWorkspace(store, 'ws'),
      (e) => isAccelError(e, 'HasDependents') && /--force/.test(e.message),
    );
    await deleteWorkspace(store, 'ws', { force: true });
    assert.deepEqual(await store.listWorkspaces(), []);
  });

  it('deleteModel deletes a registered model before its converted model, which keeps its parentId', async () => {
    const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'accel-deps-')));
    await store.createWorkspace('ws');
    const m = await registerModel(store, 'ws', { path: mobilenetPath, name: 'mobilenet' });
    const c = await registerModel(store, 'ws', {
      path: mobilenetPath,
      name: 'mobilenet.1.accelonnx',
      parentId: m.id,
    });
    await store.update('ws', (s) => {
      s.images.push(image('classifier', 1, c.id));
    });
    await deleteModel(store, 'ws', m.id);
    const state = await store.read('ws');
    assert.deepEqual(
      state.models.map((x) => [x.id, x.parentId]),
      [[c.id, 'mobilenet:1']],
    );
    assert.equal(sourceDeleted(state, state.models[0]), true);
    assert.ok(fs.existsSync(store.blobPath('ws', c.blob)), 'the converted model keeps its (shared) blob');
    await assert.rejects(deleteModel(store, 'ws', c.id), (e) => isAccelError(e, 'HasDependents'));
  });
});
