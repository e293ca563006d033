import type { AccessRules, MqttRole } from './access.js';
import { parsePasswordHash } from './passwords.js';

// Mosquitto's dynamic security plugin (mosquitto_dynamic_security.so, in Debian's
// mosquitto package since 2.0), as an alternative to the password and ACL files. What it
// adds: a client can be bound to one client id, and "a device can only connect as this
// client if the triple of username, password, and client id all match" (Mosquitto's
// dynamic-security documentation). Terminals and remote receivers are bound to their
// username as client id and the gateway to mqtt.clientId, so none of these logins can
// take over another's connection; that also allows each one connection at a time. A
// binding does not reserve the client id against other logins: the store-IT and
// ESPresense logins, whose client ids Vitrin does not choose, stay unbound and so could.
// Its passwords are the same PBKDF2-SHA512 hashes as the `$7$` lines (12-byte salt,
// 64-byte hash), so the stored hashes carry over.

export interface DynsecLogin {
  readonly username: string;
  readonly role: MqttRole;
  readonly passwordHash: string;
  readonly rules: AccessRules;
  /** The gateway's own login: the client id it connects with (mqtt.clientId). */
  readonly clientId?: string;
}

/** The one client id a login may connect under; undefined: any. */
export function boundClientId(login: Pick<DynsecLogin, 'username' | 'role' | 'clientId'>): string | undefined {
  if (login.role === 'terminal' || login.role === 'receiver') return login.username;
  if (login.role === 'gateway') return login.clientId;
  return undefined;
}

interface Acl {
  readonly acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribePattern';
  readonly topic: string;
  readonly allow: true;
}

function acls(rules: AccessRules): Acl[] {
  return [
    ...rules.publish.map((topic): Acl => ({ acltype: 'publishClientSend', topic, allow: true })),
    // A subscription must lie within a readable filter (subscribePattern), and each delivery is checked again.
    ...rules.read.flatMap((topic): Acl[] => [
      { acltype: 'subscribePattern', topic, allow: true },
      { acltype: 'publishClientReceive', topic, allow: true },
    ]),
  ];
}

/** The plugin's config file for these logins, each bound to its client id where Vitrin chooses it (boundClientId). */
export function dynamicSecurityConfig(logins: readonly DynsecLogin[]): string {
  const clients = logins.map((login) => {
    const hash = parsePasswordHash(login.passwordHash);
    // The config schema admits only well-formed hashes; a bad one here is a programming error.
    if (hash === undefined) throw new Error(`login ${login.username} has no valid password hash`);
    const clientid = boundClientId(login);
    return {
      username: login.username,
      textname: `Vitrin ${login.role}`,
      ...(clientid === undefined ? {} : { clientid }),
      password: hash.hash.toString('base64'),
      salt: hash.salt.toString('base64'),
      iterations: hash.iterations,
      roles: [{ rolename: `vitrin-${login.username}` }],
    };
  });
  const roles = logins.map((login) => ({ rolename: `vitrin-${login.username}`, textname: `What ${login.username} may do`, acls: acls(login.rules) }));
  return `${JSON.stringify(
    {
      clients,
      groups: [],
      roles,
      // Everything not granted above is refused, deliveries included.
      defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    },
    null,
    2,
  )}\n`;
}
