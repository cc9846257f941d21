// Accelerator quota and SKUs of a region (@azure/arm-compute), and the verdict a user needs:
// "you can deploy N replicas of size X in region R" or "request quota: ...".
// As on the original service, one replica occupies one VM (a PB6 node holds one FPGA and one model), so N
// replicas need N VMs' worth of the family's vCPU quota and of the regional vCPU quota.
import { ComputeManagementClient } from '@azure/arm-compute';
import { clientOptions, type ArmContext } from './armContext';
import { azureCall, collect } from './azureErrors';

/** Where to ask for FPGA quota (seed system §3.1); GPU families use the portal's quota page. */
export const FPGA_QUOTA_URL = 'https://aka.ms/accelerateAI';
export const PORTAL_QUOTA_URL = 'https://portal.azure.com/#view/Microsoft_Azure_Capacity/QuotaMenuBlade/~/myQuotas';
/** The original service's node size. */
export const DEFAULT_ACCELERATOR_SIZE = 'Standard_PB6s';

export type AcceleratorKind = 'FPGA' | 'GPU';

export interface FamilyUsage {
  /** ARM family id, e.g. `standardPBSFamily`. */
  family: string;
  /** e.g. "Standard PBS Family vCPUs". */
  localName: string;
  kind: AcceleratorKind;
  used: number;
  limit: number;
  available: number;
}

export interface AcceleratorSize {
  name: string;
  family: string;
  kind: AcceleratorKind;
  vCPUs: number;
  /** GPUs per VM (GPU sizes); FPGA sizes carry one FPGA each. */
  accelerators: number;
  /** Why the subscription cannot use it in this region, when it cannot. */
  restriction?: string;
}

export interface QuotaReport {
  subscriptionId: string;
  location: string;
  regionalVcpus?: { used: number; limit: number; available: number };
  families: FamilyUsage[];
  sizes: AcceleratorSize[];
}

export interface Verdict {
  ok: boolean;
  size: string;
  replicas: number;
  /** How many replicas the remaining quota allows for this size. */
  maxReplicas: number;
  message: string;
  requestQuotaUrl?: string;
}

/** FPGA families: PB (Arria 10, the original service) and NP (Xilinx); GPU families: NC, ND, NV. */
export function acceleratorKind(family: string): AcceleratorKind | undefined {
  if (/^standard(PB|NP)/i.test(family)) return 'FPGA';
  if (/^standardN[CDV]/i.test(family)) return 'GPU';
  return undefined;
}

function capability(sku: { capabilities?: { name?: string; value?: string }[] }, name: string): number {
  const v = sku.capabilities?.find((c) => c.name === name)?.value;
  return v === undefined ? 0 : Number(v);
}

export async function acceleratorQuota(
  ctx: ArmContext,
  subscriptionId: string,
  location: string,
): Promise<QuotaReport> {
  const region = location.toLowerCase().replace(/\s+/g, '');
  const client = new ComputeManagementClient(ctx.credential, subscriptionId, clientOptions(ctx));
  const [usages, skus] = await Promise.all([
    azureCall(`read the compute quota of ${region}`, () => collect(client.usage.list(region))),
    azureCall(`list the VM sizes offered in ${region}`, () =>
      collect(client.resourceSkus.list({ filter: `location eq '${region}'` })),
    ),
  ]);
  const families: FamilyUsage[] = [];
  let regionalVcpus: QuotaReport['regionalVcpus'];
  for (const u of usages) {
    const family = u.name.value ?? '';
    if (family === 'cores')
      regionalVcpus = { used: u.currentValue, limit: u.limit, available: Math.max(0, u.limit - u.currentValue) };
    const kind = acceleratorKind(family);
    if (!kind) continue;
    families.push({
      family,
      localName: u.name.localizedValue ?? family,
      kind,
      used: u.currentValue,
      limit: u.limit,
      available: Math.max(0, u.limit - u.currentValue),
    });
  }
  const sizes: AcceleratorSize[] = [];
  for (const s of skus) {
    if (s.resourceType !== 'virtualMachines' || !s.name || !s.family) continue;
    const kind = acceleratorKind(s.family);
    if (!kind) continue;
    if (s.locations && !s.locations.some((l) => l.toLowerCase() === region)) continue;
    const blocked = s.restrictions?.find((r) => r.type === 'Location');
    sizes.push({
      name: s.name,
      family: s.family,
      kind,
      vCPUs: capability(s, 'vCPUs'),
      accelerators: kind === 'GPU' ? capability(s, 'GPUs') : 1,
      restriction: blocked ? `${blocked.reasonCode ?? 'Restricted'} in ${region}` : undefined,
    });
  }
  families.sort((a, b) => a.kind.localeCompare(b.kind) || a.family.localeCompare(b.family));
  sizes.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  return { subscriptionId, location: region, regionalVcpus, families, sizes };
}

/** Can `replicas` VMs of `size` run in the report's region with the quota left? Pure. */
export function quotaVerdict(report: QuotaReport, size = DEFAULT_ACCELERATOR_SIZE, replicas = 1): Verdict {
  const r = report.location;
  const sku = report.sizes.find((s) => s.name.toLowerCase() === size.toLowerCase());
  if (!sku) {
    const offered = report.sizes.filter((s) => !s.restriction).map((s) => s.name);
    return {
      ok: false,
      size,
      replicas,
      maxReplicas: 0,
      message: `Size ${size} is not offered in ${r}. ${offered.length ? `Accelerator sizes offered there: ${offered.join(', ')}.` : 'No accelerator sizes are offered there.'} Pick one of those, or a region that has ${size} (the original FPGA sizes ran in eastus, southeastasia, westeurope and westus2).`,
    };
  }
  const url = sku.kind === 'FPGA' ? FPGA_QUOTA_URL : PORTAL_QUOTA_URL;
  if (sku.restriction) {
    return {
      ok: false,
      size: sku.name,
      replicas,
      maxReplicas: 0,
      requestQuotaUrl: url,
      message: `Size ${sku.name} is restricted for your subscription in ${r} (${sku.restriction}). Request access at ${url}, or pick another region.`,
    };
  }
  const fam = report.families.find((f) => f.family.toLowerCase() === sku.family.toLowerCase());
  const familyAvail = fam?.available ?? 0;
  const avail = Math.min(familyAvail, report.regionalVcpus?.available ?? Number.POSITIVE_INFINITY);
  const maxReplicas = sku.vCPUs > 0 ? Math.floor(avail / sku.vCPUs) : 0;
  const need = replicas * sku.vCPUs;
  if (maxReplicas >= replicas) {
    return {
      ok: true,
      size: sku.name,
      replicas,
      maxReplicas,
      message: `You can deploy ${maxReplicas} replica${maxReplicas === 1 ? '' : 's'} of size ${sku.name} in region ${r} (${sku.vCPUs} vCPUs each; ${avail} vCPUs of quota left).`,
    };
  }
  const famName = fam?.localName ?? `${sku.family} vCPUs`;
  const regionalShort = report.regionalVcpus && report.regionalVcpus.available < need && familyAvail >= need;
  const short = regionalShort
    ? { name: `Total Regional vCPUs`, limit: report.regionalVcpus!.limit, used: report.regionalVcpus!.used }
    : { name: famName, limit: fam?.limit ?? 0, used: fam?.used ?? 0 };
  return {
    ok: false,
    size: sku.name,
    replicas,
    maxReplicas,
    requestQuotaUrl: url,
    message: `Request quota: "${short.name}" in ${r} has limit ${short.limit} with ${short.used} used, and ${replicas} × ${sku.name} needs ${need} vCPUs. Ask for a limit of at least ${short.used + need} at ${url}${maxReplicas > 0 ? `, or deploy ${maxReplicas} replica${maxReplicas === 1 ? '' : 's'} for now` : ''}.`,
  };
}
