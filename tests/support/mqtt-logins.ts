import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { MqttBus } from '../../adapters/mqtt/mqtt-bus.js';
import type { Card } from '../../gateway/contracts/card.js';
import { hashPassword } from '../../gateway/mqtt/passwords.js';
import { topicsFor } from '../../gateway/mqtt/topics.js';

// What the access tests share: a store with two tills in different zones, a remote
// receiver and a store-IT login; clients that record what they actually receive.

export const STORE = 'vitrin/s1/';
export const PASSWORDS = { tillA: 'till-a-secret', tillB: 'till-b-secret', receiver: 'rx-secret', admin: 'it-secret', gateway: 'gw-secret' } as const;

/** Few iterations keep connects fast in tests; the format is the production one. */
const hash = (password: string) => hashPassword(password, { iterations: 1000 });

/** A store file for loadConfig: till-a in pos-1, till-b in pos-2, each with its own login. `mqtt`: more settings of that section. */
export function storeConfigYaml(mqtt: Record<string, unknown> = {}): string {
  return `store: { id: s1, name: Access test store }
mqtt:
  username: vitrin-gw
  password: ${PASSWORDS.gateway}
${Object.entries(mqtt).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`).join('')}  admins:
    - { username: store-it, passwordHash: "${hash(PASSWORDS.admin)}" }
zones:
  - { id: floor, name: Floor, kind: floor, dwellSeconds: 20 }
  - { id: pos-1, name: Till 1, kind: pos, dwellSeconds: 5 }
  - { id: pos-2, name: Till 2, kind: pos, dwellSeconds: 5 }
receivers:
  - { id: rx-floor, zone: floor, passwordHash: "${hash(PASSWORDS.receiver)}" }
  - { id: rx-pos-1, zone: pos-1 }
terminals:
  - { id: till-a, zone: pos-1, passwordHash: "${hash(PASSWORDS.tillA)}" }
  - { id: till-b, zone: pos-2, passwordHash: "${hash(PASSWORDS.tillB)}" }
ble:
  adapters: [ { device: 0, receiver: rx-floor } ]
`;
}

export interface Cert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pem: Buffer;
}

/** A self-signed certificate for 127.0.0.1 and localhost, made by Debian's openssl. */
export function selfSignedCert(dir: string): Cert | undefined {
  if (!existsSync('/usr/bin/openssl')) {
    if (process.env.CI === 'true') throw new Error('/usr/bin/openssl is missing; CI must install it');
    console.warn('NOTICE: openssl not found; TLS tests are skipped');
    return undefined;
  }
  const certFile = join(dir, 'broker.crt');
  const keyFile = join(dir, 'broker.key');
  execFileSync(
    '/usr/bin/openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, pem: readFileSync(certFile) };
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
  readonly properties: Record<string, unknown> | undefined;
}

export interface Watcher {
  readonly client: MqttClient;
  readonly messages: Received[];
  /** The SUBACK codes per filter: a QoS, or 128 for a refused subscription. */
  readonly granted: Map<string, number>;
  closed(): boolean;
}

/** A client that subscribes to `filters` and records every message it is delivered. */
export async function watcher(url: string, options: IClientOptions, filters: readonly string[] = []): Promise<Watcher> {
  // Listening before the CONNACK: a resumed session's queued messages may arrive in the same read.
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain, properties: packet.properties as Record<string, unknown> | undefined }),
  );
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  let closed = false;
  client.on('close', () => (closed = true));
  client.on('error', () => undefined);
  const granted = new Map<string, number>();
  for (const filter of filters) {
    try {
      const [grant] = await client.subscribeAsync(filter, { qos: 1 });
      granted.set(filter, grant?.qos ?? -1);
    } catch (err) {
      // MQTT.js rejects a SUBACK failure; the code is in the packet.
      const codes = (err as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted ?? [];
      const code = codes[0];
      granted.set(filter, typeof code === 'number' ? code : (code?.qos ?? -1));
    }
  }
  return { client, messages, granted, closed: () => closed };
}

/**
 * The CONNACK refusal code a login gets (4 bad username or password, 5 not authorised),
 * 0 when it connects, or the TLS error code when there is no MQTT connection at all.
 */
export async function connackCode(url: string, options: IClientOptions): Promise<number | string> {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    await client.endAsync(true);
    return 0;
  } catch (err) {
    return (err as { code?: number | string }).code ?? -1;
  }
}

export async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function sampleCard(cardId: string, zoneId: string, ttlSeconds = 300): Card {
  const issued = Date.now();
  return {
    schema: 'vitrin.card/1',
    type: 'card',
    cardId,
    storeId: 's1',
    memberId: `m-${cardId}`,
    tier: 'gold',
    segments: [],
    presence: { zoneId, zoneName: zoneId, since: new Date(issued - 6000).toISOString(), dwellSeconds: 6 },
    suggestions: [],
    offers: [],
    issuedAt: new Date(issued).toISOString(),
    expiresAt: new Date(issued + ttlSeconds * 1000).toISOString(),
  };
}

/** The gateway's own MQTT client, logged in as the store file's gateway login (MQTT 5, as against Mosquitto). */
export function gatewayBus(url: string, extra: { caFile?: string; clientId?: string } = {}): MqttBus {
  return new MqttBus({
    url,
    clientId: extra.clientId ?? 'vitrin-gateway',
    username: 'vitrin-gw',
    password: PASSWORDS.gateway,
    ...(extra.caFile === undefined ? {} : { caFile: extra.caFile }),
    protocolVersion: 5,
    will: { topic: topicsFor('s1').state, payload: 'offline', qos: 1, retain: true },
    log: pino({ level: 'silent' }),
    connectTimeoutMs: 5000,
    reconnectPeriodMs: 2000,
  });
}
