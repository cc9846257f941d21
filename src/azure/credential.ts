// Sign-in plumbing. Everything downstream takes an @azure/core-auth TokenCredential:
// - the CLI uses @azure/identity's DefaultAzureCredential (environment, workload identity, managed identity,
//   Azure CLI, Azure Developer CLI, PowerShell; `AZURE_TOKEN_CREDENTIALS=dev|prod` narrows the chain);
// - VS Code feeds `tokenCredentialFromSession` with vscode.authentication.getSession('microsoft', ...).
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { AccelError } from '../domain/errors';
import { SIGN_IN_FIX, toAzureError } from './azureErrors';
import { PUBLIC_ARM_ENDPOINT } from './armContext';

export const ARM_SCOPE = `${PUBLIC_ARM_ENDPOINT}/.default`;

/** The CLI's credential. Loaded lazily: @azure/identity is large and only the CLI needs it. */
export function cliCredential(): TokenCredential {
  let inner: TokenCredential | undefined;
  return {
    async getToken(scopes, options) {
      if (!inner) {
        const { DefaultAzureCredential } = await import('@azure/identity');
        inner = new DefaultAzureCredential();
      }
      return inner.getToken(scopes, options);
    },
  };
}

/** The subset of vscode.AuthenticationSession the adapter needs (kept vscode-free). */
export interface SessionLike {
  accessToken: string;
  account: { id: string; label: string };
}

export type GetSession = (
  scopes: string[],
  options: { createIfNone: boolean; silent?: boolean },
) => Promise<SessionLike | undefined>;

/** VS Code's Microsoft provider wants `<resource>/.default` scopes, and picks a tenant by a pseudo-scope. */
export function sessionScopes(scopes: string | string[], tenantId?: string): string[] {
  const list = (Array.isArray(scopes) ? scopes : [scopes]).map((s) =>
    s.endsWith('/.default') ? s : `${s.replace(/\/+$/, '')}/.default`,
  );
  if (tenantId) list.push(`VSCODE_TENANT:${tenantId}`);
  return [...new Set(list)];
}

/** Adapts a session source to a TokenCredential. Silent: it never opens a sign-in prompt (the sign-in command does). */
export function tokenCredentialFromSession(getSession: GetSession, tenantId?: string): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const session = await getSession(sessionScopes(scopes, options?.tenantId ?? tenantId), {
        createIfNone: false,
        silent: true,
      });
      if (!session) {
        const e = new Error('Not signed in to Azure in VS Code.');
        e.name = 'NotSignedInError';
        throw e;
      }
      return {
        token: session.accessToken,
        expiresOnTimestamp: tokenExpiry(session.accessToken) ?? Date.now() + 5 * 60_000,
      };
    },
  };
}

/** Reads the (unverified) claims of a JWT access token; undefined when it is not a JWT. */
export function tokenClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function tokenExpiry(token: string): number | undefined {
  const exp = tokenClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

export interface LoginStatus {
  signedIn: boolean;
  account?: string;
  tenantId?: string;
  expiresOn?: string;
  /** When not signed in: why, and what to do. */
  message?: string;
}

/** Asks the credential for an ARM token; reports who it belongs to, or why there is none. */
export async function loginStatus(credential: TokenCredential): Promise<LoginStatus> {
  let token: AccessToken | null;
  try {
    token = await credential.getToken(ARM_SCOPE);
  } catch (e) {
    const err = toAzureError(e, 'get an Azure token');
    if (err.code !== 'NotSignedIn') throw err;
    return { signedIn: false, message: `Not signed in to Azure. ${SIGN_IN_FIX}` };
  }
  if (!token) return { signedIn: false, message: `Not signed in to Azure. ${SIGN_IN_FIX}` };
  const claims = tokenClaims(token.token) ?? {};
  const account = [claims.upn, claims.unique_name, claims.preferred_username, claims.email, claims.appid].find(
    (v) => typeof v === 'string',
  ) as string | undefined;
  return {
    signedIn: true,
    account,
    tenantId: typeof claims.tid === 'string' ? claims.tid : undefined,
    expiresOn: new Date(token.expiresOnTimestamp).toISOString(),
  };
}

export function requireSignedIn(status: LoginStatus): void {
  if (!status.signedIn) throw new AccelError('NotSignedIn', status.message ?? `Not signed in to Azure. ${SIGN_IN_FIX}`);
}
