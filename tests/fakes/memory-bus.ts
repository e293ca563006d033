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

  subscribe(_filter: string, _handler: (message: InboundMessage) => void): Promise<Unsubscribe> {
    return Promise.resolve(() => undefined);
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
