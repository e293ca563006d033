import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { topicMatches } from './topic-match.js';
import { topicsFor } from './topics.js';

// Who may publish and read which topics (README: "Who may use which topic"). The
// embedded broker applies these rules to every packet; `vitrin mosquitto-config`
// writes the same rules as Mosquitto's ACL file, so both brokers enforce one list.

export type MqttRole = 'gateway' | 'terminal' | 'receiver' | 'admin' | 'espresense';

export interface AccessRules {
  /** Topic filters a publish must match. */
  readonly publish: readonly string[];
  /** Filters this client may read; a subscription must lie wholly inside one of them. */
  readonly read: readonly string[];
}

/** One login in config: its MQTT username, its stored hash and what it may do. */
export interface MqttAccount {
  readonly username: string;
  readonly role: MqttRole;
  readonly passwordHash: string;
  readonly rules: AccessRules;
}

export const EVERYTHING: AccessRules = { publish: ['#'], read: ['#'] };

// Terminal and receiver ids share a pattern and may repeat across the two lists; a
// role prefix with a dot (which no id, admin or ESPresense name can hold) keeps the
// usernames apart.
export const terminalUsername = (terminalId: string): string => `pos.${terminalId}`;
const RECEIVER_PREFIX = 'receiver.';
export const receiverUsername = (receiverId: string): string => `${RECEIVER_PREFIX}${receiverId}`;

/**
 * The client id this process connects with: mqtt.clientId for the gateway. A receiver
 * box with a login of Vitrin's own (receiver.<id>, one per box) connects under it, the
 * client id that login is bound to with Mosquitto's dynamic security file; any other box
 * as mqtt.clientId-<its first receiver>, since receiver boxes share the gateway's broker,
 * perhaps one custom login too, and one client id for all would throw each other off.
 */
export function ownClientId(config: Pick<Config, 'mqtt' | 'ble'>): string {
  const { clientId, username } = config.mqtt;
  if (config.ble.mode !== 'receiver') return clientId;
  return username.startsWith(RECEIVER_PREFIX) ? username : `${clientId}-${config.ble.adapters[0]!.receiver}`;
}

export function terminalRules(storeId: string, terminalId: string): AccessRules {
  const t = topicsFor(storeId);
  return {
    publish: [t.feedback(terminalId)],
    read: [t.cards(terminalId), t.present(terminalId), t.errors(terminalId), t.state, t.info, `${t.base}gateway/health`],
  };
}

/** `receiverIds`: the login's own receiver first, then those configured `via` it (other adapters of the same box). */
export function receiverRules(storeId: string, receiverIds: readonly string[]): AccessRules {
  const t = topicsFor(storeId);
  return {
    publish: receiverIds.flatMap((id) => [t.sightings(id), `${t.base}receivers/${id}/state`]),
    read: [t.state],
  };
}

export function adminRules(storeId: string): AccessRules {
  const { base } = topicsFor(storeId);
  return { publish: [`${base}gateway/request/#`], read: [`${base}#`] };
}

export function espresenseRules(topicPrefix: string): AccessRules {
  return { publish: [`${topicPrefix.replace(/\/+$/, '')}/#`], read: [] };
}

/** Every login the config defines, without the gateway's own. */
export function mqttAccounts(config: Config): MqttAccount[] {
  const storeId = config.store.id;
  const accounts: MqttAccount[] = [];
  for (const terminal of config.terminals) {
    if (terminal.passwordHash === undefined) continue;
    accounts.push({ username: terminalUsername(terminal.id), role: 'terminal', passwordHash: terminal.passwordHash, rules: terminalRules(storeId, terminal.id) });
  }
  for (const receiver of config.receivers) {
    if (receiver.passwordHash === undefined) continue;
    const riders = config.receivers.filter((r) => r.via === receiver.id).map((r) => r.id);
    accounts.push({ username: receiverUsername(receiver.id), role: 'receiver', passwordHash: receiver.passwordHash, rules: receiverRules(storeId, [receiver.id, ...riders]) });
  }
  for (const admin of config.mqtt.admins) {
    accounts.push({ username: admin.username, role: 'admin', passwordHash: admin.passwordHash, rules: adminRules(storeId) });
  }
  const { espresense } = config.ble;
  if (espresense.passwordHash !== '') {
    accounts.push({ username: espresense.username, role: 'espresense', passwordHash: espresense.passwordHash, rules: espresenseRules(espresense.topicPrefix) });
  }
  return accounts;
}

function isTopic(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

function isFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
}

export function mayPublish(rules: AccessRules, topic: string): boolean {
  return isTopic(topic) && rules.publish.some((filter) => topicMatches(filter, topic));
}

/** For a message on its way to a subscriber: the broker's second check. */
export function mayRead(rules: AccessRules, topic: string): boolean {
  return isTopic(topic) && rules.read.some((filter) => topicMatches(filter, topic));
}

/**
 * A subscription is allowed when every topic it could match is readable: `pos/+/cards`
 * or `#` is refused to a terminal even though some of what they match is its own.
 */
export function maySubscribe(rules: AccessRules, filter: string): boolean {
  return isFilter(filter) && rules.read.some((outer) => filterCovers(outer, filter));
}

/** True when every topic that `inner` matches is matched by `outer`. */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; ; i++) {
    if (i === o.length) return i === n.length;
    const op = o[i]!;
    // `#` and `+` in the first level never match `$SYS/...`-style topics.
    if (op === '#') return !(i === 0 && n[0]!.startsWith('$'));
    if (i === n.length) return false;
    const np = n[i]!;
    if (np === '#') return false;
    if (op === '+') {
      if (i === 0 && np.startsWith('$')) return false;
      continue;
    }
    if (np === '+' || np !== op) return false;
  }
}

/** A listen address or a peer's address on this machine only. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  return a === 'localhost' || a === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** refused: a login is required. loopback: no login needed from this machine; nobody else may connect. */
export type AnonymousPolicy = 'refused' | 'loopback';

export interface EmbeddedAccessPlan {
  readonly accounts: readonly MqttAccount[];
  readonly anonymous: AnonymousPolicy;
  /** Set when a listener faces the network but only this machine may connect. */
  readonly warning?: string;
}

/**
 * How the embedded broker admits clients. With any login configured, every client
 * needs one. Without, only clients on this machine may connect, anonymously; so a
 * broker listening beyond loopback without logins is useless in demo mode (warned)
 * and refused in production (VITRIN_ERR_MQTT_AUTH_REQUIRED).
 */
export function embeddedAccessPlan(config: Config): EmbeddedAccessPlan {
  const accounts = mqttAccounts(config);
  const { embedded, tls } = config.mqtt;
  if (accounts.length > 0) {
    if (isLoopback(embedded.host)) return { accounts, anonymous: 'refused' };
    return {
      accounts,
      anonymous: 'refused',
      warning: `the embedded MQTT broker accepts logins without TLS on ${embedded.host}: passwords cross the network in the clear; set mqtt.tls.cert and .key and mqtt.embedded.host: 127.0.0.1`,
    };
  }
  const exposed = [embedded.host, ...(tls.cert === '' ? [] : [tls.host])].filter((host) => !isLoopback(host));
  if (exposed.length === 0) return { accounts, anonymous: 'loopback' };
  const what = `the embedded MQTT broker listens on ${exposed.join(' and ')} but no MQTT login is configured`;
  if (config.mode !== 'demo') {
    throw new VitrinError(
      'VITRIN_ERR_MQTT_AUTH_REQUIRED',
      `${what}: give terminals[].passwordHash (and receivers, mqtt.admins) with vitrin hash-password, or listen on 127.0.0.1 only`,
    );
  }
  return { accounts, anonymous: 'loopback', warning: `${what}; only clients on this machine can connect (demo mode)` };
}
