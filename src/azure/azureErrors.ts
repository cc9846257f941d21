// Turns what the Azure SDK throws into AccelErrors that say what went wrong and what to do about it.
import { AccelError } from '../domain/errors';

export const SIGN_IN_FIX =
  'Sign in first: in VS Code run "Accelerated Models: Sign in to Azure"; on the command line run `az login` ' +
  '(or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal), then retry.';

interface RestLikeError {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

function isCredentialFailure(e: RestLikeError): boolean {
  return (
    e.name === 'CredentialUnavailableError' ||
    e.name === 'AggregateAuthenticationError' ||
    e.name === 'AuthenticationError' ||
    e.name === 'NotSignedInError'
  );
}

function armMessage(e: RestLikeError): string {
  // The ARM error body's message names the resource; some clients (paging) replace it with a generic one.
  try {
    const body = JSON.parse(e.response?.bodyAsText ?? '');
    const m = body?.error?.message ?? body?.message;
    if (typeof m === 'string' && m) return m;
  } catch {
    // not JSON: fall back to the error's own message
  }
  const message = (e.message ?? String(e)).split('\n')[0];
  // Paged modular clients drop the body's message but keep its code: show that.
  return /^(Pagination failed|Unexpected status code)/.test(message) && e.code ? `${e.code}` : message;
}

/**
 * `doing` completes "Could not ..." (e.g. "list the subscriptions"). Errors already translated pass through.
 */
export function toAzureError(e: unknown, doing: string): AccelError {
  if (e instanceof AccelError) return e;
  const err = (e ?? {}) as RestLikeError;
  if (isCredentialFailure(err)) {
    return new AccelError('NotSignedIn', `Could not ${doing}: you are not signed in to Azure. ${SIGN_IN_FIX}`, {
      cause: armMessage(err),
    });
  }
  const status = err.statusCode;
  const detail = armMessage(err);
  switch (status) {
    case 401:
      return new AccelError(
        'NotSignedIn',
        `Could not ${doing}: Azure rejected the sign-in (401: ${detail}). Your session may have expired. ${SIGN_IN_FIX}`,
      );
    case 403:
      return new AccelError(
        'PermissionDenied',
        `Could not ${doing}: your account lacks permission (403: ${detail}). Ask an owner of the subscription or resource group for a role that allows it (Reader to list, Contributor to create or delete), or switch to a subscription you own.`,
      );
    case 404:
      return new AccelError(
        'NotFound',
        `Could not ${doing}: Azure says it does not exist (404: ${detail}). Check the name, resource group and subscription (\`accel azure subscriptions\`, \`accel azure workspaces\`).`,
      );
    case 409:
      return new AccelError(
        'Busy',
        `Could not ${doing}: it conflicts with the resource's current state (409: ${detail}). Wait for the running operation on it to finish, then retry.`,
      );
    case 429: {
      const after = err.response?.headers?.get('retry-after');
      return new AccelError(
        'Busy',
        `Could not ${doing}: Azure is throttling requests (429${after ? `, retry after ${after} s` : ''}). Wait ${after ? `${after} seconds` : 'a minute'} and retry.`,
      );
    }
  }
  if (
    err.code === 'ECONNREFUSED' ||
    err.code === 'ENOTFOUND' ||
    err.code === 'ETIMEDOUT' ||
    err.code === 'ECONNRESET' ||
    err.code === 'REQUEST_SEND_ERROR'
  ) {
    return new AccelError(
      'Unavailable',
      `Could not ${doing}: Azure Resource Manager is unreachable (${detail}). Check your network connection or proxy settings (HTTPS_PROXY), then retry.`,
    );
  }
  return new AccelError(
    'Internal',
    `Could not ${doing}: ${detail}${status ? ` (HTTP ${status})` : ''}. Retry; if it persists, run with --json and report the message.`,
  );
}

/** Runs `fn`, translating whatever it throws. */
export async function azureCall<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toAzureError(e, doing);
  }
}

/** Drains a paged iterator (the SDK follows nextLink). */
export async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of pages) out.push(item);
  return out;
}
