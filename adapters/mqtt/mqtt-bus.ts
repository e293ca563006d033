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

  constructor(private readonly options: MqttBusOptions) {}

  async start(): Promise<void> {
    const { url, clientId, username, password, caFile, protocolVersion, will, log, connectTimeoutMs, reconnectPeriodMs } = this.options;
    const clientOptions: IClientOptions = {
      clientId,
      protocolVersion,
      clean: true,
      connectTimeout: connectTimeoutMs,
      reconnectPeriod: 0,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain },
      ...(username === undefined ? {} : { username, password: password ?? '' }),
      ...(caFile === undefined ? {} : { ca: readCa(caFile), rejectUnauthorized: true }),
    };
    const client = mqtt.connect(url, clientOptions);
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
    client.on('message', (topic, payload) => this.dispatch(topic, payload));
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
    await client.endAsync(false);
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
    if (first) await client.subscribeAsync(topicFilter, { qos: 1 });
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

  private dispatch(topic: string, payload: Buffer): void {
    for (const handler of this.handlers) {
      if (!topicMatches(handler.filter, topic)) continue;
      try {
        handler.fn({ topic, payload });
      } catch (err) {
        // One bad handler must not starve the others or crash the gateway.
        this.options.log.error({ err, topic }, 'MQTT message handler failed');
      }
    }
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
