// The VS Code session → TokenCredential adapter and the sign-in status, without VS Code (a scripted session source).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loginStatus, sessionScopes, tokenCredentialFromSession, type GetSession } from '../../../src/azure/credential';
import { toAzureError } from '../../../src/azure/azureErrors';

const jwt = (claims: Record<string, unknown>) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

describe('Azure credentials', () => {
  it('normalises scopes to /.default and selects a tenant with VSCODE_TENANT', () => {
    assert.deepEqual(sessionScopes('https://management.azure.com/'), ['https://management.azure.com/.default']);
    assert.deepEqual(sessionScopes(['https://management.azure.com/.default'], 'contoso.onmicrosoft.com'), [
      'https://management.azure.com/.default',
      'VSCODE_TENANT:contoso.onmicrosoft.com',
    ]);
  });

  it('asks silently, with the tenant of the request over the default one, and reads the expiry from the token', async () => {
    const asked: { scopes: string[]; options: unknown }[] = [];
    const exp = Math.floor(Date.now() / 1000) + 1800;
    const getSession: GetSession = async (scopes, options) => {
      asked.push({ scopes, options });
      return { accessToken: jwt({ exp, upn: 'a@b.c', tid: 't-9' }), account: { id: '1', label: 'a@b.c' } };
    };
    const credential = tokenCredentialFromSession(getSession, 'home-tenant');
    const t1 = await credential.getToken('https://management.azure.com/.default');
    assert.equal(t1?.expiresOnTimestamp, exp * 1000);
    await credential.getToken(['https://management.azure.com/.default'], { tenantId: 'other-tenant' });
    assert.deepEqual(
      asked.map((a) => a.scopes.at(-1)),
      ['VSCODE_TENANT:home-tenant', 'VSCODE_TENANT:other-tenant'],
    );
    assert.deepEqual(asked[0].options, { createIfNone: false, silent: true });
    const status = await loginStatus(credential);
    assert.deepEqual([status.signedIn, status.account, status.tenantId], [true, 'a@b.c', 't-9']);
  });

  it('no session → not signed in, with the way to sign in', async () => {
    const credential = tokenCredentialFromSession(async () => undefined);
    const status = await loginStatus(credential);
    assert.equal(status.signedIn, false);
    assert.match(status.message!, /Sign in to Azure/);
    const err = await credential.getToken('x').catch((e) => toAzureError(e, 'list the subscriptions'));
    assert.ok(
      err instanceof Error &&
        'code' in err &&
        err.code === 'NotSignedIn' &&
        /Could not list the subscriptions: you are not signed in/.test(err.message),
    );
  });
});
