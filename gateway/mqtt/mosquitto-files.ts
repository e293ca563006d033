import type { Config } from '../config/schema.js';
import { EVERYTHING, mqttAccounts, type AccessRules, type MqttRole } from './access.js';
import { dynamicSecurityConfig } from './dynamic-security.js';

export interface MosquittoFiles {
  /** `password_file`: `username:$7$...` per line. */
  readonly passwd: string;
  /** `acl_file`: a `user` block per login with its topics. */
  readonly acl: string;
  /** The dynamic security plugin's config, the alternative to both (dynamic-security.ts). */
  readonly dynamicSecurity: string;
  readonly logins: readonly { readonly username: string; readonly role: MqttRole }[];
}

function aclLines(rules: AccessRules): string[] {
  const both = rules.publish.filter((f) => rules.read.includes(f));
  return [
    ...both.map((f) => `topic readwrite ${f}`),
    ...rules.read.filter((f) => !both.includes(f)).map((f) => `topic read ${f}`),
    ...rules.publish.filter((f) => !both.includes(f)).map((f) => `topic write ${f}`),
  ];
}

/**
 * Mosquitto's password and ACL files for the logins in config, with the same rules
 * the embedded broker applies (gateway/mqtt/access.ts). The gateway's own login is
 * mqtt.username with `gatewayPasswordHash`, the hash of mqtt.password.
 */
export function mosquittoFiles(config: Config, gatewayPasswordHash: string): MosquittoFiles {
  const logins = [
    { username: config.mqtt.username, role: 'gateway' as const, passwordHash: gatewayPasswordHash, rules: EVERYTHING, clientId: config.mqtt.clientId },
    ...mqttAccounts(config),
  ];
  const header = [
    `# Mosquitto ACL for Vitrin store ${config.store.id}, written by \`vitrin mosquitto-config\`.`,
    '# Do not edit: change the logins in Vitrin\'s config and run the command again,',
    '# then reload Mosquitto (systemctl reload mosquitto). A login or topic not listed',
    '# here may do nothing; anonymous clients are refused (allow_anonymous false).',
  ];
  const blocks = logins.map((login) => ['', `# ${login.role}`, `user ${login.username}`, ...aclLines(login.rules)].join('\n'));
  return {
    passwd: logins.map((login) => `${login.username}:${login.passwordHash}\n`).join(''),
    acl: `${[...header, ...blocks].join('\n')}\n`,
    dynamicSecurity: dynamicSecurityConfig(logins),
    logins: logins.map(({ username, role }) => ({ username, role })),
  };
}
