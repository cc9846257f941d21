// Subscriptions and Azure ML workspaces through the real ARM SDK clients against a local HTTPS ARM.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArmContext } from '../../../src/azure/armContext';
import { listSubscriptions, requireSubscriptions, resolveSubscription } from '../../../src/azure/subscriptions';
import {
  deleteOnlineEndpoint,
  deleteRegisteredModel,
  listOnlineEndpoints,
  listRegisteredModels,
  listWorkspaces,
} from '../../../src/azure/workspaces';
import { isAccelError } from '../../../src/domain/errors';
import { HttpsFake, testCredential, testToken } from './support/httpsFake';

const WS_ID = '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/vision';
const WS_BASE =
  '/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/vision';

describe('ARM: subscriptions and Azure ML workspaces', () => {
  let arm: HttpsFake;
  let ctx: ArmContext;
  const token = testToken();
  const cred = testCredential(token);
  before(async () => {
    arm = await HttpsFake.start();
    ctx = { credential: cred.credential, endpoint: arm.url, caPem: arm.ca, pollIntervalMs: 10, maxRetries: 2 };
  });
  after(() => arm.close());

  it('lists subscriptions across pages (nextLink) with the bearer token and api-version', async () => {
    arm.sequence('GET', /^\/subscriptions$/, [
      {
        json: {
          value: [
            {
              id: '/subscriptions/sub-2',
              subscriptionId: 'sub-2',
              displayName: 'Prod',
              state: 'Enabled',
              tenantId: 't1',
            },
          ],
          nextLink: `${arm.url}/subscriptions?api-version=2022-12-01&%24skiptoken=page2`,
        },
      },
      {
        json: {
          value: [
            {
              id: '/subscriptions/sub-1',
              subscriptionId: 'sub-1',
              displayName: 'Dev',
              state: 'Enabled',
              tenantId: 't1',
            },
            { id: '/subscriptions/sub-3', subscriptionId: 'sub-3', displayName: 'Old', state: 'Disabled' },
          ],
        },
      },
    ]);
    const before = arm.requests.length;
    const subs = await listSubscriptions(ctx);
    assert.deepEqual(
      subs.map((s) => s.name),
      ['Dev', 'Old', 'Prod'],
    );
    const sent = arm.requests.slice(before);
    assert.equal(sent.length, 2);
    assert.deepEqual(
      sent.map((r) => [r.method, r.path, r.query['api-version']]),
      [
        ['GET', '/subscriptions', '2022-12-01'],
        ['GET', '/subscriptions', '2022-12-01'],
      ],
    );
    assert.equal(sent[1].query['$skiptoken'], 'page2');
    assert.equal(sent[0].headers.authorization, `Bearer ${token}`);
    assert.deepEqual(cred.calls[0].scopes, ['https://management.azure.com/.default']);
  });

  it('picks the only enabled subscription, and says how to choose among several', async () => {
    arm.route('GET', /^\/subscriptions$/, () => ({
      json: {
        value: [
          { subscriptionId: 'sub-1', displayName: 'Dev', state: 'Enabled' },
          { subscriptionId: 'sub-2', displayName: 'Prod', state: 'Enabled' },
        ],
      },
    }));
    await assert.rejects(
      resolveSubscription(ctx),
      (e) => isAccelError(e, 'InvalidArgument') && /--subscription/.test(e.message) && /Dev, Prod/.test(e.message),
    );
    assert.equal((await resolveSubscription(ctx, 'Prod')).subscriptionId, 'sub-2');
    await assert.rejects(
      resolveSubscription(ctx, 'Nope'),
      (e) => isAccelError(e, 'NotFound') && /Dev \(sub-1\)/.test(e.message),
    );
  });

  it('no subscription: a clear message with the fix', async () => {
    arm.route('GET', /^\/subscriptions$/, () => ({
      json: { value: [{ subscriptionId: 'sub-9', displayName: 'Gone', state: 'Disabled' }] },
    }));
    await assert.rejects(
      requireSubscriptions(ctx),
      (e) =>
        isAccelError(e, 'NotFound') && /no enabled subscription/.test(e.message) && /az login --tenant/.test(e.message),
    );
  });

  it('lists workspaces with name, region and resource group', async () => {
    arm.route('GET', /^\/subscriptions\/sub-1\/providers\/Microsoft\.MachineLearningServices\/workspaces$/, () => ({
      json: {
        value: [
          { id: WS_ID, name: 'vision', location: 'eastus', properties: { friendlyName: 'Vision' } },
          {
            id: '/subscriptions/sub-1/resourceGroups/rg-b/providers/Microsoft.MachineLearningServices/workspaces/audio',
            name: 'audio',
            location: 'westeurope',
            properties: {},
          },
        ],
      },
    }));
    const list = await listWorkspaces(ctx, 'sub-1');
    assert.deepEqual(
      list.map((w) => [w.name, w.location, w.resourceGroup]),
      [
        ['audio', 'westeurope', 'rg-b'],
        ['vision', 'eastus', 'rg-ml'],
      ],
    );
    const req = arm.find('GET', /MachineLearningServices\/workspaces$/).at(-1)!;
    assert.equal(req.query['api-version'], '2022-10-01');
  });

  it('lists registered models and online endpoints of a workspace', async () => {
    arm.route('GET', new RegExp(`^${WS_BASE}/models$`), () => ({
      json: {
        value: [
          {
            name: 'resnet50',
            properties: { latestVersion: '3', description: 'FPGA ResNet', tags: { family: 'resnet' } },
          },
        ],
      },
    }));
    arm.route('GET', new RegExp(`^${WS_BASE}/onlineEndpoints$`), () => ({
      json: {
        value: [
          {
            name: 'ep1',
            location: 'eastus',
            properties: {
              authMode: 'Key',
              scoringUri: 'https://ep1.eastus.inference.ml.azure.com/score',
              provisioningState: 'Succeeded',
            },
          },
        ],
      },
    }));
    const ws = { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', name: 'vision' };
    assert.deepEqual(await listRegisteredModels(ctx, ws), [
      { name: 'resnet50', latestVersion: '3', description: 'FPGA ResNet', tags: { family: 'resnet' } },
    ]);
    const eps = await listOnlineEndpoints(ctx, ws);
    assert.deepEqual(
      eps.map((e) => [e.name, e.authMode, e.provisioningState]),
      [['ep1', 'Key', 'Succeeded']],
    );
  });

  it('deletes a model (DELETE) and an endpoint (long-running: 202 + Azure-AsyncOperation polled to Succeeded)', async () => {
    const ws = { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', name: 'vision' };
    arm.route('DELETE', new RegExp(`^${WS_BASE}/models/resnet50$`), () => ({ status: 200 }));
    await deleteRegisteredModel(ctx, ws, 'resnet50');
    const delModel = arm.find('DELETE', /\/models\/resnet50$/);
    assert.equal(delModel.length, 1);
    assert.equal(delModel[0].query['api-version'], '2022-10-01');

    const op = `${arm.url}/subscriptions/sub-1/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/op-1?api-version=2022-10-01`;
    arm.route('DELETE', new RegExp(`^${WS_BASE}/onlineEndpoints/ep1$`), () => ({
      status: 202,
      headers: { 'azure-asyncoperation': op, location: op.replace('Status', 'Results'), 'retry-after': '0' },
    }));
    arm.sequence('GET', /mfeOperationsStatus\/op-1$/, [
      { json: { status: 'InProgress' } },
      { json: { status: 'InProgress' } },
      { json: { status: 'Succeeded' } },
    ]);
    arm.route('GET', /mfeOperationsResults\/op-1$/, () => ({ status: 200, json: {} }));
    await deleteOnlineEndpoint(ctx, ws, 'ep1');
    assert.equal(arm.find('DELETE', /onlineEndpoints\/ep1$/).length, 1);
    assert.equal(arm.find('GET', /mfeOperationsStatus\/op-1$/).length, 3);
  });

  it('a failed long-running delete surfaces the operation error', async () => {
    const ws = { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', name: 'vision' };
    const op = `${arm.url}/ops/op-2?api-version=2022-10-01`;
    arm.route('DELETE', new RegExp(`^${WS_BASE}/onlineEndpoints/ep2$`), () => ({
      status: 202,
      headers: { 'azure-asyncoperation': op, 'retry-after': '0' },
    }));
    arm.route('GET', /^\/ops\/op-2$/, () => ({
      json: {
        status: 'Failed',
        error: { code: 'EndpointInUse', message: 'Endpoint ep2 has deployments with traffic' },
      },
    }));
    await assert.rejects(
      deleteOnlineEndpoint(ctx, ws, 'ep2'),
      (e) => isAccelError(e) && /delete online endpoint ep2/.test(e.message) && /traffic/.test(e.message),
    );
  });

  describe('HTTP errors become messages with the fix', () => {
    const path = /^\/subscriptions\/sub-err\/providers\/Microsoft\.MachineLearningServices\/workspaces$/;
    const armError = (code: string, message: string) => ({ error: { code, message } });
    it('401 → sign in again', async () => {
      arm.route('GET', path, () => ({
        status: 401,
        json: armError('InvalidAuthenticationToken', 'The access token expired'),
      }));
      await assert.rejects(
        listWorkspaces(ctx, 'sub-err'),
        (e) => isAccelError(e, 'NotSignedIn') && /az login/.test(e.message) && /expired/.test(e.message),
      );
    });
    it('403 → ask for a role', async () => {
      arm.route('GET', path, () => ({
        status: 403,
        json: armError('AuthorizationFailed', 'The client does not have authorization to perform action'),
      }));
      await assert.rejects(
        listWorkspaces(ctx, 'sub-err'),
        (e) => isAccelError(e, 'PermissionDenied') && /role/.test(e.message),
      );
    });
    it('404 → check the names', async () => {
      arm.route('GET', path, () => ({
        status: 404,
        json: armError('SubscriptionNotFound', "The subscription 'sub-err' could not be found."),
      }));
      await assert.rejects(
        listWorkspaces(ctx, 'sub-err'),
        (e) => isAccelError(e, 'NotFound') && /sub-err/.test(e.message) && /accel azure subscriptions/.test(e.message),
      );
    });
    it('409 → wait for the running operation', async () => {
      arm.route('DELETE', /onlineEndpoints\/busy$/, () => ({
        status: 409,
        json: armError('Conflict', 'An operation is already running on busy'),
      }));
      await assert.rejects(
        deleteOnlineEndpoint(ctx, { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', name: 'vision' }, 'busy'),
        (e) => isAccelError(e, 'Busy') && /Wait/.test(e.message),
      );
    });
    it('429 with Retry-After is retried, and succeeds when the throttling ends', async () => {
      const before = arm.find('GET', path).length;
      arm.sequence('GET', path, [
        { status: 429, headers: { 'retry-after': '0' }, json: armError('TooManyRequests', 'slow down') },
        { json: { value: [] } },
      ]);
      assert.deepEqual(await listWorkspaces(ctx, 'sub-err'), []);
      assert.equal(arm.find('GET', path).length - before, 2);
    });
    it('429 that persists → says how long to wait', async () => {
      arm.route('GET', path, () => ({
        status: 429,
        headers: { 'retry-after': '0' },
        json: armError('TooManyRequests', 'slow down'),
      }));
      const before = arm.find('GET', path).length;
      await assert.rejects(
        listWorkspaces(ctx, 'sub-err'),
        (e) => isAccelError(e, 'Busy') && /throttling/.test(e.message) && /retry after 0 s/.test(e.message),
      );
      assert.equal(arm.find('GET', path).length - before, 3, 'initial try + maxRetries (2)');
    });
    it('not signed in (the credential has no account) → sign-in instructions', async () => {
      const c = {
        credential: {
          getToken: async () => {
            const e = new Error('no account');
            e.name = 'CredentialUnavailableError';
            throw e;
          },
        },
        endpoint: arm.url,
        caPem: arm.ca,
      };
      await assert.rejects(
        listSubscriptions(c),
        (e) => isAccelError(e, 'NotSignedIn') && /Sign in to Azure/.test(e.message) && /az login/.test(e.message),
      );
    });
  });
});
