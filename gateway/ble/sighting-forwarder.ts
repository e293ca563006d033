import type { Sightings } from '../contracts/sightings.js';
import type { Logger } from '../log.js';
import type { Advertisement, AdvertisementSource, Clock, Lifecycle, MessageBus, Unsubscribe } from '../ports.js';
import { hex } from './ad-structures.js';
import { carriesAppIdentifier } from './app-frames.js';

export interface SightingForwarderOptions {
  readonly source: AdvertisementSource;
  readonly bus: MessageBus;
  readonly topic: (receiverId: string) => string;
  readonly appUuid: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly flushMs?: number;
  readonly maxBatch?: number;
}

/**
 * Receiver mode: what the local adapters hear, in the app's formats only, batched
 * and published for the main gateway. Everything else stays on this box and is
 * forgotten, as in the main pipeline. QoS 0: sightings are a stream, a lost batch
 * is made up by the next second's.
 */
export class SightingForwarder implements Lifecycle {
  private readonly batches = new Map<string, Sightings['sightings']>();
  private stopListening: Unsubscribe | undefined;
  private stopFlushing: Unsubscribe | undefined;
  private forwarded = 0;
  private ignored = 0;

  constructor(private readonly options: SightingForwarderOptions) {}

  counts(): { forwarded: number; ignored: number } {
    return { forwarded: this.forwarded, ignored: this.ignored };
  }

  start(): Promise<void> {
    this.stopListening = this.options.source.onAdvertisement((ad) => this.take(ad));
    this.stopFlushing = this.options.clock.setInterval(() => this.flush(), this.options.flushMs ?? 250);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopListening?.();
    this.stopFlushing?.();
    this.flush();
    return Promise.resolve();
  }

  private take(ad: Advertisement): void {
    if (!carriesAppIdentifier(ad.data, this.options.appUuid)) {
      this.ignored++;
      return;
    }
    let batch = this.batches.get(ad.receiverId);
    if (batch === undefined) this.batches.set(ad.receiverId, (batch = []));
    batch.push({ address: ad.address, addressType: ad.addressType, rssi: Math.max(-127, Math.min(20, Math.round(ad.rssi))), data: hex(ad.data), at: ad.receivedAt });
    this.forwarded++;
    if (batch.length >= (this.options.maxBatch ?? 200)) this.flushOne(ad.receiverId, batch);
  }

  private flush(): void {
    for (const [receiverId, batch] of this.batches) if (batch.length > 0) this.flushOne(receiverId, batch);
  }

  private flushOne(receiverId: string, batch: Sightings['sightings']): void {
    this.batches.set(receiverId, []);
    const payload: Sightings = { schema: 'vitrin.sightings/1', receiverId, sentAt: new Date(this.options.clock.now()).toISOString(), sightings: batch };
    this.options.bus.publish(this.options.topic(receiverId), JSON.stringify(payload), { qos: 0 }).catch((err: unknown) => {
      this.options.log.warn({ err, receiver: receiverId, sightings: batch.length }, 'sightings not published; the next batch follows');
    });
  }
}
