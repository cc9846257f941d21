// Azure sign-in inside VS Code: the built-in Microsoft authentication provider, adapted to a TokenCredential.
// Silent by default; only the sign-in command may prompt. The tenant is chosen with the VSCODE_TENANT:<id>
// pseudo-scope and remembered in globalState (not a secret: tokens stay with VS Code's auth provider).
import * as vscode from 'vscode';
import { setContextKey } from '../contextKeys';
import type { TokenCredential } from '@azure/core-auth';
import type { ArmContext } from '../../azure/armContext';
import { ARM_SCOPE, sessionScopes, tokenCredentialFromSession, type GetSession } from '../../azure/credential';
import { AccelError } from '../../domain/errors';

const PROVIDER = 'microsoft';
const TENANT_KEY = 'accel.azure.tenant';

export class AzureSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the account signs in or out (in this window or through the Accounts menu). */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /** Last known sign-in state (refreshed at start, on sign-in and when VS Code's sessions change). */
  signedIn = false;

  constructor(private readonly memento: vscode.Memento) {
    this.subscription = vscode.authentication.onDidChangeSessions((e) => {
      if (e.provider.id === PROVIDER) void this.refreshContext();
    });
  }

  get tenantId(): string | undefined {
    return this.memento.get<string>(TENANT_KEY) || undefined;
  }

  async setTenant(tenantId: string | undefined): Promise<void> {
    await this.memento.update(TENANT_KEY, tenantId);
    await this.refreshContext();
  }

  private readonly getSession: GetSession = async (scopes, options) => {
    const session = await vscode.authentication.getSession(
      PROVIDER,
      scopes,
      options.createIfNone ? { createIfNone: true } : { silent: true },
    );
    return session ?? undefined;
  };

  credential(): TokenCredential {
    return tokenCredentialFromSession(this.getSession, this.tenantId);
  }

  armContext(): ArmContext {
    return { credential: this.credential() };
  }

  /** The signed-in account, without prompting. Gives up after a few seconds: where no Microsoft provider is
   * installed (code-server, VS Codium) a silent getSession may wait forever, and the views must not. */
  async account(): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 3000)));
    try {
      const s = await Promise.race([
        this.getSession(sessionScopes(ARM_SCOPE, this.tenantId), { createIfNone: false, silent: true }),
        timeout,
      ]);
      return s?.account.label;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Prompts for the Microsoft account (the only place that may). */
  async signIn(): Promise<string> {
    const s = await this.getSession(sessionScopes(ARM_SCOPE, this.tenantId), { createIfNone: true });
    if (!s)
      throw new AccelError(
        'NotSignedIn',
        'Sign-in to Azure was not completed. Run "Accelerated Models: Sign in to Azure" again.',
      );
    await this.refreshContext();
    return s.account.label;
  }

  async refreshContext(): Promise<void> {
    const account = await this.account().catch(() => undefined);
    this.signedIn = !!account;
    await setContextKey('accel.azure.signedIn', this.signedIn);
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
