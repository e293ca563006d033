import type { Advertisement, AdvertisementSource, Unsubscribe } from '../ports.js';

/**
 * Several sources as one for the pipeline: the local adapters (each its own
 * receiver), the simulator or a replay, and remote receivers. A fan-in only:
 * starting and stopping the inputs is the composition root's job, in its order.
 */
export class MergedSource implements AdvertisementSource {
  readonly kind;
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  private readonly unsubscribes: Unsubscribe[] = [];
  private readonly heard = new Map<string, number>();

  constructor(private readonly inputs: readonly AdvertisementSource[]) {
    this.kind = inputs[0]?.kind ?? 'ble';
  }

  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** When each receiver last delivered an advertisement (ms), for the admin page. */
  lastHeard(receiverId: string): number | undefined {
    return this.heard.get(receiverId);
  }

  start(): Promise<void> {
    const deliver = (ad: Advertisement) => {
      this.heard.set(ad.receiverId, ad.receivedAt);
      for (const listener of this.listeners) listener(ad);
    };
    for (const input of this.inputs) this.unsubscribes.push(input.onAdvertisement(deliver));
    return Promise.resolve();
  }

  stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    return Promise.resolve();
  }
}
