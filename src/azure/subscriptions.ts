// Subscriptions the signed-in account can see.
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { AccelError } from '../domain/errors';
import { clientOptions, type ArmContext } from './armContext';
import { azureCall, collect } from './azureErrors';

export interface AzureSubscription {
  subscriptionId: string;
  name: string;
  state: string;
  tenantId?: string;
}

export async function listSubscriptions(ctx: ArmContext): Promise<AzureSubscription[]> {
  const client = new SubscriptionClient(ctx.credential, clientOptions(ctx));
  const subs = await azureCall('list your Azure subscriptions', () => collect(client.subscriptions.list()));
  return subs
    .map((s) => ({
      subscriptionId: s.subscriptionId ?? '',
      name: s.displayName ?? s.subscriptionId ?? '',
      state: s.state ?? 'Unknown',
      tenantId: s.tenantId,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Lists the subscriptions and fails with the fix when the account has none enabled. */
export async function requireSubscriptions(ctx: ArmContext): Promise<AzureSubscription[]> {
  const subs = (await listSubscriptions(ctx)).filter((s) => s.state === 'Enabled');
  if (subs.length === 0) {
    throw new AccelError(
      'NotFound',
      'Your Azure account has no enabled subscription. Create one at https://portal.azure.com (Subscriptions → Add), or sign in with an account or tenant that has one (`az login --tenant <id>`).',
    );
  }
  return subs;
}

/** `--subscription` value (id or display name) → id; the only enabled subscription when none is given. */
export async function resolveSubscription(ctx: ArmContext, wanted?: string): Promise<AzureSubscription> {
  const subs = await requireSubscriptions(ctx);
  if (!wanted) {
    const env = process.env.AZURE_SUBSCRIPTION_ID;
    if (env) wanted = env;
    else if (subs.length === 1) return subs[0];
    else
      throw new AccelError(
        'InvalidArgument',
        `You have ${subs.length} subscriptions (${subs.map((s) => s.name).join(', ')}). Pick one with --subscription <id or name> or set AZURE_SUBSCRIPTION_ID.`,
      );
  }
  const hit = subs.find((s) => s.subscriptionId === wanted || s.name === wanted);
  if (!hit)
    throw new AccelError(
      'NotFound',
      `No enabled subscription "${wanted}" for this account. Known: ${subs.map((s) => `${s.name} (${s.subscriptionId})`).join(', ')}.`,
    );
  return hit;
}
