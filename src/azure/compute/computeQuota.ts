// Before a cluster is provisioned: do `agentCount` VMs of `vmSize` fit in the VM family's free vCPU quota and the
// region's? Any size (AKS pools are not only accelerator sizes), read from the same ARM calls as `accel azure quota`:
// Microsoft.Compute usages and resource SKUs of the region.
import { ComputeManagementClient } from '@azure/arm-compute';
import { AccelError } from '../../domain/errors';
import { clientOptions, type ArmContext } from '../armContext';
import { azureCall, collect } from '../azureErrors';
import { FPGA_QUOTA_URL, PORTAL_QUOTA_URL, acceleratorKind } from '../quota';

export interface ComputeQuotaFit {
  vmSize: string;
  family: string;
  vcpusPerVm: number;
  /** GPUs per VM from the SKU's capabilities (0 when it has none). */
  gpusPerVm: number;
  needed: number;
  familyFree: number;
  regionalFree?: number;
}

function capability(sku: { capabilities?: { name?: string; value?: string }[] }, name: string): number {
  const v = Number(sku.capabilities?.find((c) => c.name === name)?.value);
  return Number.isFinite(v) ? v : 0;
}

/** Throws QuotaExceeded (with the numbers and where to ask) or InvalidArgument (size not offered); else the fit. */
export async function checkComputeQuota(
  ctx: ArmContext,
  subscriptionId: string,
  location: string,
  vmSize: string,
  agentCount: number,
): Promise<ComputeQuotaFit> {
  const client = new ComputeManagementClient(ctx.credential, subscriptionId, clientOptions(ctx));
  const [usages, skus] = await Promise.all([
    azureCall(`read the compute quota of ${location}`, () => collect(client.usage.list(location))),
    azureCall(`list the VM sizes offered in ${location}`, () =>
      collect(client.resourceSkus.list({ filter: `location eq '${location}'` })),
    ),
  ]);
  const sku = skus.find(
    (s) =>
      s.resourceType === 'virtualMachines' &&
      s.name?.toLowerCase() === vmSize.toLowerCase() &&
      (!s.locations || s.locations.some((l) => l.toLowerCase() === location)),
  );
  if (!sku?.family) {
    throw new AccelError(
      'InvalidArgument',
      `VM size ${vmSize} is not offered in ${location}. List the sizes with \`az vm list-skus --location ${location} --resource-type virtualMachines -o table\` (accelerator sizes: \`accel azure quota --location ${location}\`), or pick another region.`,
    );
  }
  const url = acceleratorKind(sku.family) === 'FPGA' ? FPGA_QUOTA_URL : PORTAL_QUOTA_URL;
  const blocked = sku.restrictions?.find((r) => r.type === 'Location');
  if (blocked) {
    throw new AccelError(
      'QuotaExceeded',
      `VM size ${sku.name} is restricted for your subscription in ${location} (${blocked.reasonCode ?? 'Restricted'}). Request access at ${url}, or pick another region.`,
    );
  }
  const vcpusPerVm = capability(sku, 'vCPUs');
  const needed = vcpusPerVm * agentCount;
  const fam = usages.find((u) => u.name.value?.toLowerCase() === sku.family!.toLowerCase());
  const regional = usages.find((u) => u.name.value === 'cores');
  const familyFree = fam ? Math.max(0, fam.limit - fam.currentValue) : 0;
  const regionalFree = regional ? Math.max(0, regional.limit - regional.currentValue) : undefined;
  const fit: ComputeQuotaFit = {
    vmSize: sku.name!,
    family: sku.family,
    vcpusPerVm,
    gpusPerVm: capability(sku, 'GPUs'),
    needed,
    familyFree,
    regionalFree,
  };
  const short =
    familyFree < needed
      ? {
          name: fam?.name.localizedValue ?? `${sku.family} vCPUs`,
          used: fam?.currentValue ?? 0,
          limit: fam?.limit ?? 0,
        }
      : regional && regionalFree !== undefined && regionalFree < needed
        ? {
            name: regional.name.localizedValue ?? 'Total Regional vCPUs',
            used: regional.currentValue,
            limit: regional.limit,
          }
        : undefined;
  if (short) {
    const free = Math.max(0, short.limit - short.used);
    const fits = vcpusPerVm > 0 ? Math.floor(Math.min(familyFree, regionalFree ?? familyFree) / vcpusPerVm) : 0;
    throw new AccelError(
      'QuotaExceeded',
      `Not enough quota: ${agentCount} × ${sku.name} needs ${needed} vCPUs (${vcpusPerVm} each), but "${short.name}" in ${location} has ${free} free (${short.used} used of ${short.limit}). Ask for a limit of at least ${short.used + needed} at ${url}${fits > 0 ? `, or use --agent-count ${fits}` : ''}. Nothing was created.`,
      fit,
    );
  }
  return fit;
}
