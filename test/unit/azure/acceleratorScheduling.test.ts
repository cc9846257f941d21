// VM size → accelerator facts → what the Deployment's pod spec requests, and the compute input checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FPGA_RESOURCE,
  GPU_RESOURCE,
  INSTANCE_TYPE_LABEL,
  acceleratorForVmSize,
  schedulingForCompute,
} from '../../../src/azure/compute/acceleratorScheduling';
import {
  computePlacement,
  normalizeLocation,
  parseClusterId,
  validateAgentCount,
  validateResourceGroup,
  validateVmSize,
} from '../../../src/azure/compute/aksCompute';
import { isAccelError } from '../../../src/domain/errors';
import type { Compute } from '../../../src/domain/types';

function aks(vmSize: string | undefined, accelerator?: NonNullable<Compute['aks']>['accelerator']): Compute {
  return {
    name: 'c1',
    kind: 'aks',
    createdTime: 'now',
    properties: {},
    aks: { origin: 'created', vmSize, provisioningState: 'Succeeded', ...(accelerator ? { accelerator } : {}) },
  };
}

describe('acceleratorForVmSize', () => {
  it('FPGA sizes: PB (Arria 10, the original service) and NP (Xilinx), one device per VM', () => {
    assert.deepEqual(acceleratorForVmSize('Standard_PB6s'), { kind: 'FPGA', resourceName: FPGA_RESOURCE.PB, count: 1 });
    assert.deepEqual(acceleratorForVmSize('Standard_PB24s'), {
      kind: 'FPGA',
      resourceName: FPGA_RESOURCE.PB,
      count: 1,
    });
    assert.deepEqual(acceleratorForVmSize('standard_np10s'), {
      kind: 'FPGA',
      resourceName: FPGA_RESOURCE.NP,
      count: 1,
    });
  });

  it('GPU sizes: nvidia.com/gpu with the per-VM count (SKU capability first, then the known sizes)', () => {
    const gpus = (size: string, sku?: number) => acceleratorForVmSize(size, sku)?.count;
    assert.equal(acceleratorForVmSize('Standard_NC6s_v3')?.resourceName, GPU_RESOURCE);
    assert.equal(gpus('Standard_NC6s_v3'), 1);
    assert.equal(gpus('Standard_NC12s_v3'), 2);
    assert.equal(gpus('Standard_NC24rs_v3'), 4);
    assert.equal(gpus('Standard_NC24'), 4);
    assert.equal(gpus('Standard_ND40rs_v2'), 8);
    assert.equal(gpus('Standard_NV12'), 2);
    assert.equal(gpus('Standard_NC4as_T4_v3'), 1);
    assert.equal(gpus('Standard_NC64as_T4_v3', 4), 4, "the SKU's GPUs capability wins");
  });

  it('sizes without an accelerator, and junk, have none', () => {
    for (const size of ['Standard_D4s_v3', 'Standard_B2s', 'Standard_E8s_v5', 'Standard_', '', 'PB6s', 'Standard_PBx'])
      assert.equal(acceleratorForVmSize(size), undefined, size);
  });
});

describe('schedulingForCompute', () => {
  it('an FPGA compute: the device plugin resource as a limit, the VM size as node selector, tolerations', () => {
    assert.deepEqual(schedulingForCompute(aks('Standard_PB6s')), {
      resources: { limits: { [FPGA_RESOURCE.PB]: '1' } },
      nodeSelector: { [INSTANCE_TYPE_LABEL]: 'Standard_PB6s' },
      tolerations: [
        { key: 'sku', operator: 'Equal', value: 'fpga', effect: 'NoSchedule' },
        { key: FPGA_RESOURCE.PB, operator: 'Exists', effect: 'NoSchedule' },
      ],
    });
  });

  it('the recorded accelerator (e.g. an --accelerator-resource override, the SKU GPU count) wins over the table', () => {
    const s = schedulingForCompute(aks('Standard_NC64as_T4_v3', { kind: 'GPU', resourceName: GPU_RESOURCE, count: 4 }));
    assert.deepEqual(s.resources, { limits: { 'nvidia.com/gpu': '4' } });
    assert.deepEqual(s.tolerations?.[0], { key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' });
    const custom = schedulingForCompute(
      aks(undefined, { kind: 'FPGA', resourceName: 'xilinx.com/fpga-u250', count: 1 }),
    );
    assert.deepEqual(custom.resources, { limits: { 'xilinx.com/fpga-u250': '1' } });
    assert.equal(custom.nodeSelector, undefined, 'no VM size known: no node selector');
  });

  it('no accelerator, no compute, a local compute: nothing to add', () => {
    assert.deepEqual(schedulingForCompute(aks('Standard_D4s_v3')), {});
    assert.deepEqual(schedulingForCompute(undefined), {});
    assert.deepEqual(
      schedulingForCompute({ name: 'local', kind: 'local-emulator', createdTime: 'now', properties: {} }),
      {},
    );
  });
});

describe('compute input checks', () => {
  const refused = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e) => isAccelError(e, 'InvalidArgument') && pattern.test(e.message));

  it('VM size, agent count, region and resource group', () => {
    assert.equal(validateVmSize('Standard_NC6s_v3'), 'Standard_NC6s_v3');
    refused(() => validateVmSize('Standard_PB6s?x=1'), /not a VM size/);
    refused(() => validateVmSize('Standard_PB6s/../x'), /not a VM size/);
    assert.equal(validateAgentCount(3), 3);
    refused(() => validateAgentCount(0), /1 to 100/);
    refused(() => validateAgentCount(1.5), /1 to 100/);
    assert.equal(normalizeLocation('West US 2'), 'westus2');
    refused(() => normalizeLocation('eastus/../x'), /not an Azure region/);
    assert.equal(validateResourceGroup('rg-vision.prod(1)'), 'rg-vision.prod(1)');
    refused(() => validateResourceGroup('rg.'), /resource group/);
    refused(() => validateResourceGroup('a/b'), /resource group/);
  });

  it('AKS resource ids', () => {
    assert.deepEqual(
      parseClusterId('/subscriptions/s-1/resourceGroups/rg-a/providers/Microsoft.ContainerService/managedClusters/k1'),
      { subscriptionId: 's-1', resourceGroup: 'rg-a', name: 'k1' },
    );
    for (const bad of [
      '/subscriptions/s-1/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/k1',
      '/subscriptions/s-1/resourceGroups/rg-a/providers/Microsoft.ContainerService/managedClusters/k1/agentPools/p',
      '/subscriptions/s-1/resourceGroups/../providers/Microsoft.ContainerService/managedClusters/k1',
      'k1',
    ])
      refused(() => parseClusterId(bad), /not an AKS cluster resource id/);
  });
});

describe('computePlacement', () => {
  it('an AKS compute deploys through ARM, an attached context through the kubeconfig; one not ready is refused', () => {
    const created = aks('Standard_PB6s');
    created.aks = { ...created.aks!, subscriptionId: 's-1', resourceGroup: 'rg', clusterName: 'c1' };
    assert.deepEqual(computePlacement(created), { aks: { subscriptionId: 's-1', resourceGroup: 'rg', name: 'c1' } });
    const lab = aks(undefined);
    lab.aks = { ...lab.aks!, origin: 'attached', kubeContext: 'lab', kubeconfig: '/k', provisioningState: 'Attached' };
    assert.deepEqual(computePlacement(lab), { context: 'lab', kubeconfigPath: '/k' });
    for (const state of ['Creating', 'Failed', 'NotFound', 'Deleting']) {
      created.aks!.provisioningState = state;
      assert.throws(
        () => computePlacement(created),
        (e) => isAccelError(e, 'Busy') && new RegExp(`is ${state}, not ready`).test(e.message),
      );
    }
  });
});
