// How every ARM client is built: one credential, one endpoint (overridable for sovereign clouds and for the
// tests' local servers), and the shared pipeline options. Nothing here talks to the network by itself.
import type { TokenCredential } from '@azure/core-auth';

export const PUBLIC_ARM_ENDPOINT = 'https://management.azure.com';

export interface ArmContext {
  credential: TokenCredential;
  /** ARM base URL. Default: `ACCEL_ARM_ENDPOINT`, else the public cloud. */
  endpoint?: string;
  /** Extra PEM CA to trust (private clouds, proxies that re-sign TLS, the tests' self-signed servers). */
  caPem?: string;
  /** Long-running operation poll interval; ARM's Retry-After wins when it is sent. */
  pollIntervalMs?: number;
  /** Retries on 429/5xx; the SDK's default is 3. */
  maxRetries?: number;
}

export function armEndpoint(ctx: ArmContext): string {
  return (ctx.endpoint ?? process.env.ACCEL_ARM_ENDPOINT ?? PUBLIC_ARM_ENDPOINT).replace(/\/+$/, '');
}

/** Options every @azure/arm-* client accepts (core-client's CommonClientOptions). */
export function clientOptions(ctx: ArmContext) {
  const endpoint = armEndpoint(ctx);
  return {
    endpoint,
    // Older generated clients read `baseUri`; giving both keeps every package on the same host.
    baseUri: endpoint,
    credentialScopes: [`${PUBLIC_ARM_ENDPOINT}/.default`],
    credentials: { scopes: [`${PUBLIC_ARM_ENDPOINT}/.default`] },
    userAgentOptions: { userAgentPrefix: 'accelerated-models' },
    ...(ctx.caPem ? { tlsOptions: { ca: ctx.caPem } } : {}),
    ...(ctx.maxRetries !== undefined ? { retryOptions: { maxRetries: ctx.maxRetries } } : {}),
  };
}

export function pollOptions(ctx: ArmContext): { updateIntervalInMs?: number } {
  return ctx.pollIntervalMs !== undefined ? { updateIntervalInMs: ctx.pollIntervalMs } : {};
}

/** Parses an ARM resource id into its parts (subscription, resource group, name). */
export function parseResourceId(id: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const m = /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)/i.exec(id);
  if (!m) throw new Error(`Not an ARM resource id: ${id}`);
  return { subscriptionId: m[1], resourceGroup: m[2], name: m[3] };
}
