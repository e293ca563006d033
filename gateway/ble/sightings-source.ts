import { contractChecker } from '../contracts/validator.js';
import { SightingsV1, type Sightings } from '../contracts/sightings.js';
import type { Logger } from '../log.js';
import type { Advertisement, AdvertisementSource, InboundMessage, MessageBus, Unsubscribe } from '../ports.js';

const checkSightings = contractChecker(SightingsV1);

export interface SightingsSourceOptions {
  readonly bus: MessageBus;
  /** Subscription filter: vitrin/<storeId>/receivers/+/sightings. */
  readonly filter: string;
  readonly receivers: ReadonlySet<string>;
  readonly log: Logger;
  /** Counts messages by outcome: accepted, invalid, unknown-receiver. */
  readonly onMessage?: (outcome: 'accepted' | 'invalid' | 'unknown-receiver') => void;
}

/**
 * Remote receivers as a BLE source: sightings published by Vitrin boxes in receiver
 * mode reach the pipeline like the local adapter's advertisements. A payload that
 * breaks the contract, or names a receiver the config does not know, is dropped
 * with a warning; it never stops the gateway.
 */
export class SightingsSource implements AdvertisementSource {
  readonly kind = 'mqtt' as const;
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  private unsubscribe: Unsubscribe | undefined;
  private readonly warned = new Set<string>();

  constructor(private readonly options: SightingsSourceOptions) {}

  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.bus.subscribe(this.options.filter, (message) => this.receive(message));
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    return Promise.resolve();
  }

  private receive(message: InboundMessage): void {
    const topicReceiver = message.topic.split('/').at(-2) ?? '';
    let payload: unknown;
    try {
      payload = JSON.parse(message.payload.toString('utf8'));
    } catch {
      return this.reject('invalid', topicReceiver, ['/: not JSON']);
    }
    const problems = checkSightings(payload);
    if (problems.length > 0) return this.reject('invalid', topicReceiver, problems);
    const sightings = payload as Sightings;
    if (sightings.receiverId !== topicReceiver || !this.options.receivers.has(topicReceiver)) {
      return this.reject('unknown-receiver', topicReceiver, [`receiver "${sightings.receiverId}" on topic of "${topicReceiver}" is not in the config's receivers`]);
    }
    this.options.onMessage?.('accepted');
    for (const s of sightings.sightings) {
      const ad: Advertisement = { receiverId: topicReceiver, address: s.address, addressType: s.addressType, rssi: s.rssi, data: Buffer.from(s.data, 'hex'), receivedAt: s.at };
      for (const listener of this.listeners) listener(ad);
    }
  }

  private reject(outcome: 'invalid' | 'unknown-receiver', receiver: string, problems: string[]): void {
    this.options.onMessage?.(outcome);
    // Once per receiver and kind: a misconfigured receiver must not flood the log.
    const key = `${outcome}:${receiver}`;
    if (this.warned.has(key) || this.warned.size >= 100) return;
    this.warned.add(key);
    this.options.log.warn({ receiver, code: 'VITRIN_ERR_SIGHTINGS_INVALID', problems: problems.slice(0, 5) }, 'sightings dropped');
  }
}
