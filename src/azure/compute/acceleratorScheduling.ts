// What a VM size carries (FPGA, GPU or nothing) and what a pod spec must say to land on such a node: the device
// plugin's extended resource as a limit, a node selector on the VM size, and tolerations for the taints accelerator
// node pools usually carry. Pure: the Deployment builder calls `schedulingForCompute` with the service's compute.
//
// Resource names are the device plugins' conventions, not verified on a live cluster: NVIDIA's plugin advertises
// `nvidia.com/gpu`; the Xilinx plugin (NP sizes, Alveo U250) advertises under `xilinx.com/fpga`; the Intel FPGA
// plugin (PB sizes, Arria 10, the original service's nodes) under `fpga.intel.com/arria10`. A cluster whose plugin
// uses another name records it on the compute (`--accelerator-resource`), which wins over this table.
import type { Compute } from '../../domain/types';

export interface AcceleratorFacts {
  kind: 'FPGA' | 'GPU';
  /** The extended resource the device plugin advertises on the node. */
  resourceName: string;
  /** Devices per VM; one pod requests all of them (one model per accelerator node, as on the original service). */
  count: number;
}

export interface Toleration {
  key: string;
  operator: 'Exists' | 'Equal';
  value?: string;
  effect: 'NoSchedule';
}

export interface PodScheduling {
  /** Container resource limits (extended resources are requested through limits). */
  resources?: { limits: Record<string, string> };
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

/** The well-known label AKS puts on every node: its VM size. */
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';

export const FPGA_RESOURCE = { PB: 'fpga.intel.com/arria10', NP: 'xilinx.com/fpga' } as const;
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** GPUs per VM of sizes whose name does not say it plainly (the rest: by vCPU steps, see gpuCount). */
const GPU_COUNTS: Record<string, number> = {
  standard_nc6: 1,
  standard_nc12: 2,
  standard_nc24: 4,
  standard_nc24r: 4,
  standard_nv6: 1,
  standard_nv12: 2,
  standard_nv24: 4,
  standard_nd40rs_v2: 8,
  standard_nd96asr_v4: 8,
  standard_nd96amsr_a100_v4: 8,
  standard_nd96isr_h100_v5: 8,
};

const SIZE_PATTERN = /^standard_(n[cdpv]|pb)(\d+)([a-z]*)(_.*)?$/i;

/** GPUs per VM: the SKU's GPUs capability when known, else the table, else NC/ND/NV step rules, else 1. */
function gpuCount(vmSize: string, vcpus: number): number {
  const known = GPU_COUNTS[vmSize.toLowerCase()];
  if (known) return known;
  // NCv2/NCv3/ND: six vCPUs per GPU in the 6/12/24 steps (NC6s_v3 one, NC24rs_v3 four).
  if (/^standard_n[cd]\d+r?s(_v[23])?$/i.test(vmSize)) return vcpus >= 24 ? 4 : vcpus >= 12 ? 2 : 1;
  return 1;
}

/** Accelerator facts of a VM size; undefined for sizes without one. `skuGpus` is the SKU's GPUs capability. */
export function acceleratorForVmSize(vmSize: string, skuGpus?: number): AcceleratorFacts | undefined {
  const m = SIZE_PATTERN.exec(vmSize.trim());
  if (!m) return undefined;
  const series = m[1].toUpperCase();
  if (series === 'PB') return { kind: 'FPGA', resourceName: FPGA_RESOURCE.PB, count: 1 };
  if (series === 'NP') return { kind: 'FPGA', resourceName: FPGA_RESOURCE.NP, count: 1 };
  const count = skuGpus && skuGpus > 0 ? skuGpus : gpuCount(vmSize.trim(), Number(m[2]));
  return { kind: 'GPU', resourceName: GPU_RESOURCE, count };
}

/** Tolerations for the taints accelerator pools are given (AKS docs' `sku=gpu:NoSchedule`, the plugins' own keys). */
function tolerationsFor(facts: AcceleratorFacts): Toleration[] {
  const sku = facts.kind === 'GPU' ? 'gpu' : 'fpga';
  return [
    { key: 'sku', operator: 'Equal', value: sku, effect: 'NoSchedule' },
    { key: facts.resourceName, operator: 'Exists', effect: 'NoSchedule' },
  ];
}

/** Pod scheduling for an accelerator of `vmSize` (resources, node selector, tolerations); empty when none. */
export function schedulingForVmSize(vmSize: string | undefined, facts?: AcceleratorFacts): PodScheduling {
  const accel = facts ?? (vmSize ? acceleratorForVmSize(vmSize) : undefined);
  if (!accel) return {};
  return {
    resources: { limits: { [accel.resourceName]: String(accel.count) } },
    ...(vmSize ? { nodeSelector: { [INSTANCE_TYPE_LABEL]: vmSize } } : {}),
    tolerations: tolerationsFor(accel),
  };
}

/**
 * What the Deployment of a service on `compute` must request so its pods land on accelerator nodes: the recorded
 * accelerator (or the VM size's) as a limit, a node selector on the VM size, and tolerations. Empty for computes
 * without an accelerator (and for none).
 */
export function schedulingForCompute(compute: Compute | undefined): PodScheduling {
  const aks = compute?.aks;
  if (!aks) return {};
  return schedulingForVmSize(aks.vmSize, aks.accelerator);
}
