// The gateway's MQTT side: the embedded broker when no broker is configured, and the
// client connection the gateway (or a receiver box) publishes through.

import { EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../../adapters/mqtt/mqtt-bus.js';
import type { Config } from '../config/schema.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { embeddedAccessPlan } from '../mqtt/access.js';
import { BrokerLogins, newGatewayLogin, type GatewayLogin } from '../mqtt/broker-logins.js';
import { topicsFor } from '../mqtt/topics.js';

/**
 * The gateway's or a receiver's MQTT connection, with a retained `offline` last will on
 * `willTopic`. `login`: the gateway's own login to its embedded broker.
 */
export function mqttBus(config: Config, url: string, willTopic: string, log: Logger, login?: GatewayLogin): MqttBus {
  const { clientId, username, password, tls } = config.mqtt;
  // Receiver boxes share the gateway's broker; one client id for all would throw each other off.
  const ownClientId = config.ble.mode === 'receiver' ? `${clientId}-${config.ble.adapters[0]!.receiver}` : clientId;
  const credentials = login ?? (username === '' ? undefined : { username, password });
  return new MqttBus({
    url,
    clientId: ownClientId,
    ...(credentials === undefined ? {} : { username: credentials.username, password: credentials.password }),
    ...(tls.ca === '' || login !== undefined ? {} : { caFile: tls.ca }),
    protocolVersion: config.mqtt.protocolVersion,
    will: { topic: willTopic, payload: 'offline', qos: 1, retain: true },
    log: log.child({ module: 'mqtt' }),
    connectTimeoutMs: 10_000,
    reconnectPeriodMs: 2_000,
    // The gateway's session outlives a crash or a restart: feedback a till sent meanwhile waits at the broker.
    persistentSession: config.ble.mode !== 'receiver',
  });
}

export interface BrokerChoice {
  /** Where the gateway's own client connects. */
  readonly url: string;
  /** The gateway's login to the embedded broker; undefined with an external broker. */
  readonly login?: GatewayLogin;
  /** The embedded broker, which hands tills' feedback to the gateway before acknowledging it. */
  readonly embedded?: EmbeddedBroker;
}

/** The configured broker, or (mqtt.url empty) the embedded one, started on `stack`. */
export async function startBroker(config: Config, log: Logger, stack: LifecycleStack): Promise<BrokerChoice> {
  if (config.mqtt.url !== '') return { url: config.mqtt.url };
  // Logins and topic rules from config; the gateway itself logs in with a password made up for this run.
  const plan = embeddedAccessPlan(config);
  if (plan.warning !== undefined) log.warn({ anonymous: plan.anonymous }, plan.warning);
  const login = newGatewayLogin(config.mqtt.clientId);
  const { tls } = config.mqtt;
  const broker = new EmbeddedBroker({
    ...config.mqtt.embedded,
    ...(tls.cert === '' ? {} : { tls: { host: tls.host, port: tls.port, certFile: tls.cert, keyFile: tls.key } }),
    access: new BrokerLogins(plan, login),
    // A till may forget its feedback once PUBACKed: the embedded broker acknowledges it only after the gateway has committed it.
    intakeFilter: topicsFor(config.store.id).allFeedback,
    log: log.child({ module: 'broker' }),
  });
  await stack.start('broker', () => broker.start(), () => broker.stop());
  const { port } = broker.address();
  const listen = config.mqtt.embedded.host;
  const host = listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
  return { url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`, login, embedded: broker };
}
