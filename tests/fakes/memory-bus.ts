import { topicMatches } from '../../gateway/mqtt/topic-match.js';
import type { InboundMessage, MessageBus, PublishOptions, Unsubscribe } from '../../gateway/ports.js';

export interface Published {
  readonly topic: string;
  readonly payload: string;
  readonly options: PublishOptions;
}

/** A MessageBus that records what the core publishes; no broker involved. */
export class MemoryBus implements MessageBus {
  readonly published: Published[] = [];
  readonly retained = new Map<string, string>();
  private connected = false;
  private readonly connectionListeners = new Set<(connected: boolean) => void>();

  start(): Promise<void> {
    this.setConnected(true);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.setConnected(false);
    return Promise.resolve();
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const text = payload.toString();
    this.published.push({ topic, payload: text, options });
    if (options.retain === true) this.retained.set(topic, text);
    return Promise.resolve();
  }

  private readonly subscriptions = new Set<{ filter: string; handler: (message: InboundMessage) => void }>();

  subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<Unsubscribe> {
    const subscription = { filter, handler };
    this.subscriptions.add(subscription);
    return Promise.resolve(() => this.subscriptions.delete(subscription));
  }

  /** A message from another client (a till, a receiver), to the core's subscriptions. */
  deliver(topic: string, payload: string | Buffer): void {
    for (const s of this.subscriptions) if (topicMatches(s.filter, topic)) s.handler({ topic, payload: Buffer.from(payload) });
  }

  isConnected(): boolean {
    return this.connected;
  }

  onConnectionChange(fn: (connected: boolean) => void): Unsubscribe {
    this.connectionListeners.add(fn);
    return () => this.connectionListeners.delete(fn);
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    for (const fn of this.connectionListeners) fn(connected);
  }

  on(topic: string): unknown[] {
    return this.published.filter((p) => p.topic === topic).map((p) => JSON.parse(p.payload) as unknown);
  }
}
