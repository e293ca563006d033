import type { Advertisement, AdvertisementSource, Unsubscribe } from '../ports.js';

/**
 * Several sources as one: the local adapters (each its own receiver) and remote
 * receivers. Started together; stopping one that fails does not stop the others.
 */
export class MergedSource implements AdvertisementSource {
  readonly kind;
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  private readonly unsubscribes: Unsubscribe[] = [];

  constructor(private readonly sources: readonly AdvertisementSource[]) {
    this.kind = sources[0]?.kind ?? 'ble';
  }

  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(): Promise<void> {
    const deliver = (ad: Advertisement) => {
      for (const listener of this.listeners) listener(ad);
    };
    for (const source of this.sources) this.unsubscribes.push(source.onAdvertisement(deliver));
    const started: AdvertisementSource[] = [];
    try {
      for (const source of this.sources) {
        await source.start();
        started.push(source);
      }
    } catch (err) {
      await Promise.allSettled(started.map((s) => s.stop()));
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    const results = await Promise.allSettled(this.sources.map((s) => s.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
