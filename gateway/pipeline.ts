import { hasOverflowBit } from './ble/apple-overflow.js';
import { decodeAdvertisement } from './ble/decode.js';
import { EDDYSTONE_0M_TO_1M_DB } from './presence/distance.js';
import type { CardFlow } from './cards/card-flow.js';
import type { ResolvedMember, Resolver } from './identity/resolver.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Moment } from './presence/moments.js';
import type { PresenceTracker } from './presence/tracker.js';
import type { Advertisement, AdvertisementSource, Clock, EventStore, Lifecycle, Unsubscribe } from './ports.js';

export interface PipelineDeps {
  readonly source: AdvertisementSource;
  readonly resolver: Resolver;
  readonly tracker: PresenceTracker;
  readonly cards: CardFlow;
  readonly store: EventStore;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * iOS in the background: adverts carrying this bit of Apple's overflow area (-1: none)
   * from an address not yet known go to `background`, which reads the EID over GATT and
   * hands it back through `ingestEid`.
   */
  readonly overflowBit?: number;
  readonly background?: { offer(ad: Advertisement): void };
}

const SWEEP_INTERVAL_MS = 1000;

/**
 * Advertisement in, moments out: decode, resolve to a member or drop, track
 * presence, hand moments to the card flow and the event store. Whatever does not
 * resolve leaves nothing behind but a counter.
 */
export class Pipeline implements Lifecycle {
  private stopListening: Unsubscribe | undefined;
  private stopSweeping: Unsubscribe | undefined;

  constructor(private readonly deps: PipelineDeps) {}

  start(): Promise<void> {
    this.stopListening = this.deps.source.onAdvertisement((ad) => this.ingest(ad));
    this.stopSweeping = this.deps.clock.setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopListening?.();
    this.stopSweeping?.();
    await this.deps.cards.drain();
  }

  ingest(ad: Advertisement): void {
    const { metrics, resolver } = this.deps;
    const frame = decodeAdvertisement(ad.data);
    if (frame === undefined) {
      const bit = this.deps.overflowBit ?? -1;
      if (bit >= 0 && hasOverflowBit(ad.data, bit)) return this.ingestBackground(ad);
      metrics.advertisements.inc({ result: 'other' });
      return;
    }
    const resolution = resolver.resolve(frame, ad.receivedAt);
    if (resolution.status !== 'member') {
      metrics.advertisements.inc({ result: resolution.status === 'ambiguous' ? 'ambiguous' : 'stranger' });
      return;
    }
    const measuredPower = frame.kind === 'ibeacon' ? frame.measuredPower : frame.txPower - EDDYSTONE_0M_TO_1M_DB;
    this.observe(ad, resolution.member, measuredPower, false);
  }

  /** An EID read over GATT from the device that sent `ad`. */
  ingestEid(ad: Advertisement, eid: Uint8Array): void {
    const resolution = this.deps.resolver.resolveEid(eid, ad.receivedAt);
    if (resolution.status !== 'member') {
      this.deps.metrics.advertisements.inc({ result: resolution.status === 'ambiguous' ? 'ambiguous' : 'stranger' });
      return;
    }
    this.observe(ad, resolution.member, undefined, true);
  }

  /** A background iOS advert carries no identifier: the address, once resolved this period, stands for the member. */
  private ingestBackground(ad: Advertisement): void {
    const member = this.deps.resolver.memberAtAddress(ad.address, ad.receivedAt);
    if (member !== undefined) return this.observe(ad, member, undefined, true);
    this.deps.metrics.advertisements.inc({ result: 'background' });
    this.deps.background?.offer(ad);
  }

  private observe(ad: Advertisement, member: ResolvedMember, measuredPower: number | undefined, background: boolean): void {
    this.deps.metrics.advertisements.inc({ result: 'member' });
    this.deps.resolver.rememberAddress(ad.address, member, ad.receivedAt);
    const moments = this.deps.tracker.observe({
      memberId: member.id,
      receiverId: ad.receiverId,
      rssi: ad.rssi,
      at: ad.receivedAt,
      ...(measuredPower === undefined ? {} : { measuredPower }),
      ...(background ? { background } : {}),
    });
    this.emit(moments);
  }

  sweep(): void {
    this.emit(this.deps.tracker.sweep(this.deps.clock.now()));
    this.deps.metrics.membersPresent.set(this.deps.tracker.present().length);
  }

  private emit(moments: readonly Moment[]): void {
    for (const moment of moments) {
      this.deps.metrics.moments.inc({ kind: moment.kind });
      const { kind, memberId, at, ...details } = moment;
      this.deps.store.append({ type: kind, memberId, at, payload: details });
      void this.deps.cards.handle(moment);
    }
  }
}
