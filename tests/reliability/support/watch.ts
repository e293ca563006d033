import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { until } from './processes.js';

// An MQTT client that keeps every message it is delivered with the time it arrived,
// reconnecting on its own like a till does, so the checks can ask "what arrived after".

export interface Seen {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
  readonly at: number;
}

export class Watch {
  readonly seen: Seen[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => this.seen.push({ topic, payload: payload.toString(), retain: packet.retain, at: Date.now() }));
    client.on('error', () => undefined);
  }

  static async open(url: string, filters: readonly string[], options: IClientOptions = {}): Promise<Watch> {
    const client = mqtt.connect(url, { reconnectPeriod: 100, connectTimeout: 5_000, ...options });
    const watch = new Watch(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    for (const filter of filters) await client.subscribeAsync(filter, { qos: 1 });
    return watch;
  }

  /** The first message after `since` on `topic` whose payload passes `test`. */
  first(topic: string, since: number, test: (payload: string) => boolean = () => true): Seen | undefined {
    return this.seen.find((m) => m.at >= since && m.topic === topic && test(m.payload));
  }

  wait(what: string, topic: string, since: number, timeoutMs: number, test?: (payload: string) => boolean): Promise<Seen> {
    return until(what, timeoutMs, () => this.first(topic, since, test), 10);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
