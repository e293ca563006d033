import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { InboundMessage, MessageBus, PublishOptions, Unsubscribe } from '../../gateway/ports.js';
import { topicMatches } from '../../gateway/mqtt/topic-match.js';

export interface MqttBusOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM file of the CA that signed an mqtts:// broker's certificate; absent: the system's CAs. */
  readonly caFile?: string;
  readonly protocolVersion: 4 | 5;
  readonly will: { readonly topic: string; readonly payload: string; readonly qos: 0 | 1 | 2; readonly retain: boolean };
  readonly log: Logger;
  readonly connectTimeoutMs: number;
  readonly reconnectPeriodMs: number;
  /**
   * Keep the session at the broker across restarts (clean session off; MQTT 5: a session
   * expiry of a week). The broker then keeps the QoS 1 messages that arrive while the
   * gateway is down, feedback a till was already PUBACKed for, and hands them over on
   * the next start.
   */
  readonly persistentSession?: boolean;
}

/** How long after connecting a message no handler has claimed yet is held, unacknowledged, for a subscriber still starting. */
const HOLD_UNCLAIMED_MS = 10_000;
const SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;

/** A QoS 1 message that arrived before its handler was registered; its PUBACK waits for `release`. */
interface Held {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: object;
  release?: () => void;
}

interface Handler {
  readonly filter: string;
  readonly fn: (message: InboundMessage) => void;
}

/**
 * The MessageBus on MQTT.js. The first connection must succeed for start() to
 * resolve (a wrong URL or password should stop the start, not loop silently);
 * after that the client reconnects by itself and MQTT.js re-subscribes.
 */
export class MqttBus implements MessageBus {
  private client: MqttClient | undefined;
  private readonly handlers = new Set<Handler>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  private held: Held[] = [];
  private holdUntil = 0;
  private connectedOnce = false;
  /** The broker kept our session (and its subscriptions) from an earlier run. */
  private sessionPresent = false;

  constructor(private readonly options: MqttBusOptions) {}

  async start(): Promise<void> {
    const { url, clientId, username, password, caFile, protocolVersion, will, log, connectTimeoutMs, reconnectPeriodMs } = this.options;
    const persistent = this.options.persistentSession === true;
    const clientOptions: IClientOptions = {
      clientId,
      protocolVersion,
      clean: !persistent,
      ...(persistent && protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS } } : {}),
      connectTimeout: connectTimeoutMs,
      reconnectPeriod: 0,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain },
      ...(username === undefined ? {} : { username, password: password ?? '' }),
      ...(caFile === undefined ? {} : { ca: readCa(caFile), rejectUnauthorized: true }),
    };
    const client = mqtt.connect(url, clientOptions);
    // Before the first CONNACK is processed: a kept session's messages follow it at once.
    client.on('message', (topic, payload, packet) => this.receive(topic, payload, packet));
    client.handleMessage = (packet, callback) => {
      const held = this.held.find((h) => h.packet === packet);
      if (held === undefined) callback();
      else held.release = () => callback();
    };
    client.on('connect', (connack) => {
      if (!this.connectedOnce && persistent) {
        this.sessionPresent = connack.sessionPresent;
        this.holdUntil = Date.now() + HOLD_UNCLAIMED_MS;
        setTimeout(() => this.releaseUnclaimed(), HOLD_UNCLAIMED_MS).unref();
      }
      this.connectedOnce = true;
    });
    // A card is one small packet: Nagle's algorithm would hold it up to 40 ms waiting for
    // more. MQTT.js opens its sockets without TCP_NODELAY, so set it on each connection.
    client.on('connect', () => {
      const stream = (client as unknown as { stream?: { setNoDelay?: (on: boolean) => void } }).stream;
      stream?.setNoDelay?.(true);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no CONNACK within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        client.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        client.once('close', () => {
          clearTimeout(timer);
          reject(new Error('connection closed before CONNACK'));
        });
      });
    } catch (cause) {
      client.end(true);
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new VitrinError('VITRIN_ERR_MQTT_CONNECT', `cannot connect to MQTT broker ${redactUrl(url)}: ${reason}`, { cause });
    }
    client.options.reconnectPeriod = reconnectPeriodMs;
    client.on('connect', () => {
      log.info({ url: redactUrl(url) }, 'MQTT reconnected');
      this.emitConnection(true);
    });
    client.on('close', () => this.emitConnection(false));
    client.on('error', (err) => log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'MQTT error'));
    this.client = client;
    log.info({ url: redactUrl(url), protocolVersion }, 'MQTT connected');
    this.emitConnection(true);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    // Held messages stay unacknowledged: the kept session hands them over at the next start.
    const holding = this.held.length > 0;
    this.held = [];
    await client.endAsync(holding);
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (client === undefined) throw new VitrinError('VITRIN_ERR_MQTT_PUBLISH', `not connected; cannot publish to ${topic}`);
    const publishOptions: IClientPublishOptions = { qos: options.qos, retain: options.retain ?? false };
    if (this.options.protocolVersion === 5) {
      publishOptions.properties = {
        ...(options.messageExpirySeconds === undefined ? {} : { messageExpiryInterval: options.messageExpirySeconds }),
        ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      };
    }
    try {
      await client.publishAsync(topic, payload, publishOptions);
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_MQTT_PUBLISH', `could not publish to ${topic}`, { cause });
    }
  }

  async subscribe(topicFilter: string, fn: (message: InboundMessage) => void): Promise<Unsubscribe> {
    const client = this.client;
    if (client === undefined) throw new VitrinError('VITRIN_ERR_MQTT_CONNECT', 'not connected; cannot subscribe');
    const handler: Handler = { filter: topicFilter, fn };
    const first = ![...this.handlers].some((h) => h.filter === topicFilter);
    this.handlers.add(handler);
    this.releaseHeld(topicFilter);
    if (first) {
      // A kept session has this subscription already. Waiting for the SUBACK could wait
      // forever: it queues behind a held message whose subscriber has not started yet.
      if (this.sessionPresent) client.subscribeAsync(topicFilter, { qos: 1 }).catch((err: unknown) => this.options.log.warn({ err, topicFilter }, 'subscribe failed'));
      else await client.subscribeAsync(topicFilter, { qos: 1 });
    }
    return () => {
      this.handlers.delete(handler);
      if (![...this.handlers].some((h) => h.filter === topicFilter)) {
        this.client?.unsubscribeAsync(topicFilter).catch((err: unknown) => this.options.log.warn({ err, topicFilter }, 'unsubscribe failed'));
      }
    };
  }

  isConnected(): boolean {
    return this.client?.connected ?? false;
  }

  onConnectionChange(fn: (connected: boolean) => void): Unsubscribe {
    this.connectionListeners.add(fn);
    return () => this.connectionListeners.delete(fn);
  }

  private receive(topic: string, payload: Buffer, packet: { qos: number }): void {
    if (this.dispatch(topic, payload)) return;
    // No subscriber yet, at start with a kept session: hold it, unacknowledged, until its subscriber starts.
    if (packet.qos > 0 && Date.now() < this.holdUntil) this.held.push({ topic, payload, packet });
  }

  /** Hands held messages to the subscriber of `filter`, then acknowledges them, in arrival order. */
  private releaseHeld(filter: string): void {
    const claimed = this.held.filter((h) => topicMatches(filter, h.topic));
    if (claimed.length === 0) return;
    this.held = this.held.filter((h) => !claimed.includes(h));
    for (const h of claimed) {
      this.dispatch(h.topic, h.payload);
      h.release?.();
    }
  }

  /** The hold is over: what no subscriber claimed (a subscription of an older setup) is acknowledged and dropped. */
  private releaseUnclaimed(): void {
    const unclaimed = this.held;
    this.held = [];
    this.holdUntil = 0;
    for (const h of unclaimed) {
      this.options.log.warn({ topic: h.topic }, 'MQTT message from the kept session has no subscriber; dropped');
      h.release?.();
    }
  }

  /** True when some handler took the message. */
  private dispatch(topic: string, payload: Buffer): boolean {
    let delivered = false;
    for (const handler of this.handlers) {
      if (!topicMatches(handler.filter, topic)) continue;
      delivered = true;
      try {
        handler.fn({ topic, payload });
      } catch (err) {
        // One bad handler must not starve the others or crash the gateway.
        this.options.log.error({ err, topic }, 'MQTT message handler failed');
      }
    }
    return delivered;
  }

  private emitConnection(connected: boolean): void {
    for (const fn of this.connectionListeners) fn(connected);
  }
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MQTT_TLS', `cannot read mqtt.tls.ca ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}

/** Broker URLs may carry credentials (mqtt://user:pass@host); logs must not. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
