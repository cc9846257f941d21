// Accelerator quota and SKUs through the real @azure/arm-compute client against a local HTTPS ARM.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acceleratorQuota, quotaVerdict } from '../../../src/azure/quota';
import { isAccelError } from '../../../src/domain/errors';
import { HttpsFake, testCredential } from './support/httpsFake';

const usage = (value: string, localizedValue: string, currentValue: number, limit: number) => ({
  unit: 'Count',
  currentValue,
  limit,
  name: { value, localizedValue },
});
const sku = (name: string, family: string, vcpus: number, gpus: number, location = 'eastus', restricted = false) => ({
  resourceType: 'virtualMachines',
  name,
  tier: 'Standard',
  size: name.replace('Standard_', ''),
  family,
  locations: [location],
  capabilities: [{ name: 'vCPUs', value: String(vcpus) }, ...(gpus ? [{ name: 'GPUs', value: String(gpus) }] : [])],
  restrictions: restricted
    ? [
        {
          type: 'Location',
          values: [location],
          reasonCode: 'NotAvailableForSubscription',
          restrictionInfo: { locations: [location] },
        },
      ]
    : [],
});

describe('accelerator quota (arm-compute usage + resource SKUs)', () => {
  let arm: HttpsFake;
  const ctx = () => ({ credential: testCredential().credential, endpoint: arm.url, caPem: arm.ca, maxRetries: 0 });
  before(async () => {
    arm = await HttpsFake.start();
    arm.sequence('GET', /^\/subscriptions\/sub-1\/providers\/Microsoft\.Compute\/locations\/eastus\/usages$/, [
      {
        json: {
          value: [
            usage('cores', 'Total Regional vCPUs', 20, 100),
            usage('standardDSv3Family', 'Standard DSv3 Family vCPUs', 8, 100),
            usage('standardPBSFamily', 'Standard PBS Family vCPUs', 6, 12),
          ],
          nextLink: `${arm.url}/subscriptions/sub-1/providers/Microsoft.Compute/locations/eastus/usages?api-version=2026-03-01&page=2`,
        },
      },
      {
        json: {
          value: [
            usage('standardNCSv3Family', 'Standard NCSv3 Family vCPUs', 0, 24),
            usage('standardNDSFamily', 'Standard NDS Family vCPUs', 0, 0),
            usage('standardNPSFamily', 'Standard NPS Family vCPUs', 0, 10),
          ],
        },
      },
    ]);
    arm.route('GET', /^\/subscriptions\/sub-1\/providers\/Microsoft\.Compute\/skus$/, () => ({
      json: {
        value: [
          sku('Standard_PB6s', 'standardPBSFamily', 6, 0),
          sku('Standard_NC6s_v3', 'standardNCSv3Family', 6, 1),
          sku('Standard_NC24s_v3', 'standardNCSv3Family', 24, 4),
          sku('Standard_ND6s', 'standardNDSFamily', 6, 1),
          sku('Standard_NP10s', 'standardNPSFamily', 10, 0, 'eastus', true),
          sku('Standard_D2s_v3', 'standardDSv3Family', 2, 0),
          { resourceType: 'disks', name: 'Premium_LRS', locations: ['eastus'] },
        ],
      },
    }));
  });
  after(() => arm.close());

  it('reads usage (paged) and SKUs filtered to the region, keeping the accelerator families only', async () => {
    const report = await acceleratorQuota(ctx(), 'sub-1', 'East US');
    assert.equal(report.location, 'eastus');
    assert.deepEqual(report.regionalVcpus, { used: 20, limit: 100, available: 80 });
    assert.deepEqual(
      report.families.map((f) => [f.kind, f.localName, f.used, f.limit]),
      [
        ['FPGA', 'Standard NPS Family vCPUs', 0, 10],
        ['FPGA', 'Standard PBS Family vCPUs', 6, 12],
        ['GPU', 'Standard NCSv3 Family vCPUs', 0, 24],
        ['GPU', 'Standard NDS Family vCPUs', 0, 0],
      ],
    );
    assert.deepEqual(
      report.sizes.map((s) => [s.name, s.kind, s.vCPUs, s.accelerators, !!s.restriction]),
      [
        ['Standard_NP10s', 'FPGA', 10, 1, true],
        ['Standard_PB6s', 'FPGA', 6, 1, false],
        ['Standard_NC24s_v3', 'GPU', 24, 4, false],
        ['Standard_NC6s_v3', 'GPU', 6, 1, false],
        ['Standard_ND6s', 'GPU', 6, 1, false],
      ],
    );
    const usages = arm.find('GET', /\/usages$/);
    assert.equal(usages.length, 2);
    assert.equal(usages[0].query['api-version'], '2026-03-01');
    const skus = arm.find('GET', /\/skus$/);
    assert.equal(skus.length, 1);
    assert.equal(skus[0].query['api-version'], '2021-07-01');
    assert.equal(skus[0].query['$filter'], "location eq 'eastus'");

    // The verdicts a user reads, on the same report.
    assert.match(
      quotaVerdict(report, 'Standard_PB6s', 1).message,
      /^You can deploy 1 replica of size Standard_PB6s in region eastus/,
    );
    const tooMany = quotaVerdict(report, 'Standard_PB6s', 3);
    assert.equal(tooMany.ok, false);
    assert.match(
      tooMany.message,
      /^Request quota: "Standard PBS Family vCPUs" in eastus has limit 12 with 6 used, and 3 × Standard_PB6s needs 18 vCPUs\. Ask for a limit of at least 24 at https:\/\/aka\.ms\/accelerateAI, or deploy 1 replica for now\./,
    );
    assert.match(
      quotaVerdict(report, 'Standard_NC6s_v3', 4).message,
      /^You can deploy 4 replicas of size Standard_NC6s_v3/,
    );
    assert.match(
      quotaVerdict(report, 'Standard_ND6s', 1).message,
      /^Request quota: "Standard NDS Family vCPUs".*portal\.azure\.com/,
    );
    assert.match(
      quotaVerdict(report, 'Standard_NP10s', 1).message,
      /restricted for your subscription in eastus \(NotAvailableForSubscription/,
    );
  });

  it('an unknown region (404 from ARM) names the fix', async () => {
    arm.route('GET', /\/locations\/mars\/usages$/, () => ({
      status: 404,
      json: {
        error: {
          code: 'NoRegisteredProviderFound',
          message: "No registered resource provider found for location 'mars'",
        },
      },
    }));
    arm.route('GET', /\/skus$/, () => ({ json: { value: [] } }));
    await assert.rejects(
      acceleratorQuota(ctx(), 'sub-1', 'mars'),
      (e) =>
        isAccelError(e, 'NotFound') &&
        /compute quota of mars/.test(e.message) &&
        /NoRegisteredProviderFound/.test(e.message),
    );
  });
});
