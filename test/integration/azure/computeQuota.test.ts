// The quota check before a cluster is provisioned, through the real @azure/arm-compute client against a local ARM:
// the VM family's free vCPUs, the region's, a size not offered, a size restricted for the subscription.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArmContext } from '../../../src/azure/armContext';
import { checkComputeQuota } from '../../../src/azure/compute/computeQuota';
import { isAccelError } from '../../../src/domain/errors';
import { HttpsFake, testCredential } from './support/httpsFake';

const usage = (value: string, localizedValue: string, currentValue: number, limit: number) => ({
  unit: 'Count',
  currentValue,
  limit,
  name: { value, localizedValue },
});
const sku = (name: string, family: string, vcpus: number, extra: Record<string, unknown> = {}) => ({
  resourceType: 'virtualMachines',
  name,
  family,
  locations: ['westus2'],
  capabilities: [
    { name: 'vCPUs', value: String(vcpus) },
    ...(name.includes('NC') ? [{ name: 'GPUs', value: '1' }] : []),
  ],
  restrictions: [],
  ...extra,
});

describe('compute quota check (arm-compute usages + SKUs)', () => {
  let arm: HttpsFake;
  let ctx: ArmContext;
  before(async () => {
    arm = await HttpsFake.start();
    ctx = { credential: testCredential().credential, endpoint: arm.url, caPem: arm.ca, maxRetries: 0 };
    arm.route('GET', /^\/subscriptions\/sub-1\/providers\/Microsoft\.Compute\/locations\/westus2\/usages$/, () => ({
      json: {
        value: [
          usage('cores', 'Total Regional vCPUs', 90, 100),
          usage('standardDSv3Family', 'Standard DSv3 Family vCPUs', 0, 350),
          usage('standardNCSv3Family', 'Standard NCSv3 Family vCPUs', 0, 48),
        ],
      },
    }));
    arm.route('GET', /^\/subscriptions\/sub-1\/providers\/Microsoft\.Compute\/skus$/, () => ({
      json: {
        value: [
          sku('Standard_D4s_v3', 'standardDSv3Family', 4),
          sku('Standard_NC6s_v3', 'standardNCSv3Family', 6),
          sku('Standard_PB6s', 'standardPBSFamily', 6, {
            restrictions: [{ type: 'Location', values: ['westus2'], reasonCode: 'NotAvailableForSubscription' }],
          }),
          { resourceType: 'disks', name: 'Premium_LRS', locations: ['westus2'] },
        ],
      },
    }));
  });
  after(() => arm.close());

  it('fits: any VM size, vCPUs × agents against the family and the region, GPUs per VM from the SKU', async () => {
    const fit = await checkComputeQuota(ctx, 'sub-1', 'westus2', 'standard_d4s_v3', 2);
    assert.deepEqual(fit, {
      vmSize: 'Standard_D4s_v3',
      family: 'standardDSv3Family',
      vcpusPerVm: 4,
      gpusPerVm: 0,
      needed: 8,
      familyFree: 350,
      regionalFree: 10,
    });
    assert.equal((await checkComputeQuota(ctx, 'sub-1', 'westus2', 'Standard_NC6s_v3', 1)).gpusPerVm, 1);
    assert.equal(arm.find('GET', /\/skus$/)[0].query['$filter'], "location eq 'westus2'");
  });

  it('the region short although the family has room: names Total Regional vCPUs', async () => {
    await assert.rejects(
      checkComputeQuota(ctx, 'sub-1', 'westus2', 'Standard_NC6s_v3', 2),
      (e) =>
        isAccelError(e, 'QuotaExceeded') &&
        /2 × Standard_NC6s_v3 needs 12 vCPUs \(6 each\), but "Total Regional vCPUs" in westus2 has 10 free \(90 used of 100\)\. Ask for a limit of at least 102 at https:\/\/portal\.azure\.com.*, or use --agent-count 1\. Nothing was created\./.test(
          e.message,
        ),
    );
  });

  it('a size the region does not offer, and one restricted for the subscription', async () => {
    await assert.rejects(
      checkComputeQuota(ctx, 'sub-1', 'westus2', 'Standard_NP10s', 1),
      (e) => isAccelError(e, 'InvalidArgument') && /Standard_NP10s is not offered in westus2/.test(e.message),
    );
    await assert.rejects(
      checkComputeQuota(ctx, 'sub-1', 'westus2', 'Standard_PB6s', 1),
      (e) =>
        isAccelError(e, 'QuotaExceeded') &&
        /Standard_PB6s is restricted for your subscription in westus2 \(NotAvailableForSubscription\)\. Request access at https:\/\/aka\.ms\/accelerateAI/.test(
          e.message,
        ),
    );
  });
});
