import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EVERYTHING, isLoopback, type AccessRules, type EmbeddedAccessPlan, type MqttAccount, type MqttRole } from './access.js';
import { verifyPassword } from './passwords.js';

export interface LoginAttempt {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
  /** The peer's IP address; unknown counts as remote. */
  readonly remoteAddress: string | undefined;
  /** The username of a client connected now under the same client id, if any. */
  readonly clientIdHeldBy?: string;
}

export type LoginVerdict =
  | { readonly ok: true; readonly username: string; readonly role: MqttRole | 'anonymous'; readonly rules: AccessRules }
  | {
      readonly ok: false;
      /** bad-credentials: CONNACK 4; not-authorized: 5; client-id-taken: 2 (identifier rejected). */
      readonly reason: 'bad-credentials' | 'not-authorized' | 'client-id-taken';
      readonly message: string;
    };

/** What the embedded broker asks at each CONNECT; it knows nothing of config or hashes. */
export interface BrokerAccess {
  login(attempt: LoginAttempt): Promise<LoginVerdict>;
}

/** The gateway's own login to its embedded broker: made up at each start, never stored. */
export interface GatewayLogin {
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
}

export function newGatewayLogin(clientId: string): GatewayLogin {
  // The dot keeps it apart from every configured username (ids and names hold none).
  return { username: 'vitrin.gateway', password: randomBytes(32).toString('base64url'), clientId };
}

const digest = (value: Buffer | string): Buffer => createHash('sha256').update(value).digest();

/** The embedded broker's logins: the gateway's own, the configured accounts, and the anonymous policy. */
export class BrokerLogins implements BrokerAccess {
  private readonly accounts: ReadonlyMap<string, MqttAccount>;
  private readonly gatewayDigest: Buffer;

  constructor(
    private readonly plan: EmbeddedAccessPlan,
    private readonly gateway: GatewayLogin,
  ) {
    this.accounts = new Map(plan.accounts.map((a) => [a.username, a]));
    this.gatewayDigest = digest(gateway.password);
  }

  async login({ clientId, username, password, remoteAddress, clientIdHeldBy }: LoginAttempt): Promise<LoginVerdict> {
    if (username === this.gateway.username) {
      return timingSafeEqual(digest(password ?? ''), this.gatewayDigest)
        ? { ok: true, username, role: 'gateway', rules: EVERYTHING }
        : { ok: false, reason: 'bad-credentials', message: 'wrong password for the gateway login' };
    }
    // A client taking the gateway's client id would throw the gateway off the broker.
    if (clientId === this.gateway.clientId) return { ok: false, reason: 'client-id-taken', message: `client id "${clientId}" is the gateway's` };
    if (this.plan.anonymous === 'loopback') {
      return remoteAddress !== undefined && isLoopback(remoteAddress)
        ? { ok: true, username: username ?? '', role: 'anonymous', rules: EVERYTHING }
        : { ok: false, reason: 'not-authorized', message: 'no MQTT logins are configured, so only clients on this machine may connect' };
    }
    if (username === undefined) return { ok: false, reason: 'not-authorized', message: 'anonymous clients are refused' };
    const account = this.accounts.get(username);
    if (account === undefined || !(await verifyPassword(password ?? '', account.passwordHash))) {
      return { ok: false, reason: 'bad-credentials', message: `unknown username or wrong password for "${username}"` };
    }
    // MQTT lets a new connection take over the session of its client id. Only the same
    // login may do that (a till reconnecting); till A may not throw till B off the broker.
    if (clientIdHeldBy !== undefined && clientIdHeldBy !== username) {
      return { ok: false, reason: 'client-id-taken', message: `client id "${clientId}" is in use by another login` };
    }
    return { ok: true, username, role: account.role, rules: account.rules };
  }
}
