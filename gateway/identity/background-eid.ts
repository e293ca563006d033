import { hasOverflowBit } from '../ble/apple-overflow.js';
import type { Config } from '../config/schema.js';
import { isVitrinError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Advertisement, Clock, GattReader, Lifecycle, Unsubscribe } from '../ports.js';

// iOS members in the background advertise only a bit in Apple's overflow area; their
// current EID has to be read over GATT (DESIGN.md section 3). A connection costs the
// phone's battery and the gateway's radio time, and the bit is a hash that other apps'
// services can share, so reads are rationed: a few at once, one per address per
// rotation period, backing off and finally banning addresses that keep failing.
// What this class holds per address is in memory only, capped, and never logged.

export type IosIdentityConfig = Config['identity']['ios'];

export interface BackgroundEidOptions {
  readonly ios: IosIdentityConfig;
  /** identity.rotationExponent: a read EID is good until its period ends. */
  readonly rotationExponent: number;
  readonly reader: GattReader;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called with the advert that led to the read (or hit the cache) and the 8-byte EID. */
  readonly onEid: (ad: Advertisement, eid: Uint8Array) => void;
  /** Receivers that can connect (local adapters); offers heard only by others are skipped. Default: all. */
  readonly localReceivers?: readonly string[];
  /** Cap of the per-address table; the least recently touched address goes first. Default 10,000. */
  readonly maxAddresses?: number;
}

export interface BackgroundEidCounts {
  readonly readsStarted: number;
  readonly readsSucceeded: number;
  /** Includes wrongLength and reads the adapter never settled. */
  readonly readsFailed: number;
  readonly wrongLength: number;
  readonly cacheHits: number;
  readonly skippedBackoff: number;
  readonly skippedBanned: number;
  /** maxConnections reads were already in flight. */
  readonly skippedBusy: number;
  /** A read of the same address was already in flight. */
  readonly skippedPending: number;
  readonly skippedRemote: number;
  /** Offers whose advert lacks our bit: never read (the caller should not send them). */
  readonly refusedNoBit: number;
  readonly bans: number;
  readonly inFlight: number;
  readonly addresses: number;
}

type Counter = Exclude<keyof BackgroundEidCounts, 'inFlight' | 'addresses'>;

interface AddressState {
  eid?: Uint8Array;
  /** Rotation period the cached EID belongs to. */
  eidPeriod: number;
  /** Failed reads in a row. */
  failures: number;
  /** No read before this time (ms): backoff or ban. */
  notBefore: number;
  banned: boolean;
}

const EID_LENGTH = 8;
const DEFAULT_MAX_ADDRESSES = 10_000;
/** How long past its own timeout a read may stay unsettled before its slot is taken back. */
const SETTLE_GRACE_MS = 5_000;

export class BackgroundEidReader implements Lifecycle {
  private readonly addresses = new Map<string, AddressState>();
  private readonly inFlight = new Set<string>();
  private readonly counters: Record<Counter, number> = {
    readsStarted: 0,
    readsSucceeded: 0,
    readsFailed: 0,
    wrongLength: 0,
    cacheHits: 0,
    skippedBackoff: 0,
    skippedBanned: 0,
    skippedBusy: 0,
    skippedPending: 0,
    skippedRemote: 0,
    refusedNoBit: 0,
    bans: 0,
  };
  private running = false;
  private readonly local: ReadonlySet<string> | undefined;

  constructor(private readonly options: BackgroundEidOptions) {
    this.local = options.localReceivers === undefined ? undefined : new Set(options.localReceivers);
  }

  async start(): Promise<void> {
    this.running = true;
  }

  /** Reads still in flight finish in the adapter (and keep their slots until then); their results are dropped. */
  async stop(): Promise<void> {
    this.running = false;
    this.addresses.clear();
  }

  /** For an advert carrying our overflow bit: the EID from cache, or a read if the rules allow one now. */
  offer(ad: Advertisement): void {
    if (!this.running || this.options.ios.overflowBit < 0) return;
    if (!hasOverflowBit(ad.data, this.options.ios.overflowBit)) {
      this.counters.refusedNoBit++;
      return;
    }
    const now = this.options.clock.now();
    const state = this.addresses.get(ad.address);
    if (state?.eid !== undefined && state.eidPeriod === this.period(now)) {
      this.counters.cacheHits++;
      this.touch(ad.address, state);
      this.deliver(ad, state.eid);
      return;
    }
    if (this.inFlight.has(ad.address)) return this.skip('skippedPending');
    if (state !== undefined && state.notBefore > now) return this.skip(state.banned ? 'skippedBanned' : 'skippedBackoff');
    if (this.local !== undefined && !this.local.has(ad.receiverId)) return this.skip('skippedRemote');
    if (this.inFlight.size >= this.options.ios.maxConnections) return this.skip('skippedBusy');
    this.read(ad);
  }

  counts(): BackgroundEidCounts {
    return { ...this.counters, inFlight: this.inFlight.size, addresses: this.addresses.size };
  }

  private skip(counter: Counter): void {
    this.counters[counter]++;
  }

  private read(ad: Advertisement): void {
    const { ios, reader, clock } = this.options;
    const timeoutMs = ios.connectTimeoutSeconds * 1000;
    this.inFlight.add(ad.address);
    this.counters.readsStarted++;
    let settled = false;
    // The port promises to settle within its timeout; if an adapter breaks that, the
    // slot must not stay taken forever or background members would never be read again.
    let cancelGuard: Unsubscribe = () => undefined;
    const finish = (eid: Uint8Array | undefined, cause: unknown) => {
      if (settled) return;
      settled = true;
      cancelGuard();
      this.inFlight.delete(ad.address);
      if (!this.running) return;
      if (eid !== undefined) this.succeeded(ad, eid);
      else this.failed(ad.address, cause);
    };
    cancelGuard = clock.setTimeout(() => finish(undefined, 'unsettled'), timeoutMs + SETTLE_GRACE_MS);
    let pending: Promise<Uint8Array>;
    try {
      pending = reader.read({
        receiverId: ad.receiverId,
        address: ad.address,
        addressType: ad.addressType,
        service: ios.serviceUuid.toLowerCase(),
        characteristic: ios.eidCharacteristicUuid.toLowerCase(),
        timeoutMs,
      });
    } catch (err) {
      finish(undefined, err);
      return;
    }
    pending.then(
      (value) => {
        if (value.length === EID_LENGTH) return finish(Uint8Array.from(value), undefined);
        this.counters.wrongLength++;
        finish(undefined, 'wrong length');
      },
      (err: unknown) => finish(undefined, err),
    );
  }

  private succeeded(ad: Advertisement, eid: Uint8Array): void {
    this.counters.readsSucceeded++;
    this.touch(ad.address, { eid, eidPeriod: this.period(this.options.clock.now()), failures: 0, notBefore: 0, banned: false });
    this.deliver(ad, eid);
  }

  private failed(address: string, cause: unknown): void {
    const { ios, clock, log } = this.options;
    this.counters.readsFailed++;
    const failures = (this.addresses.get(address)?.failures ?? 0) + 1;
    const banned = failures >= ios.banAfterFailures;
    // A backoff longer than the ban would make the ban pointless; the ban is the ceiling.
    const waitS = banned ? ios.banSeconds : Math.min(ios.retrySeconds * 2 ** (failures - 1), ios.banSeconds);
    // After a ban the address starts afresh: its next failure backs off from retrySeconds again.
    this.touch(address, { eidPeriod: -1, failures: banned ? 0 : failures, notBefore: clock.now() + waitS * 1000, banned });
    if (banned) this.counters.bans++;
    // Codes and counts only: an error message may carry the device address.
    log.debug({ code: isVitrinError(cause) ? cause.code : typeof cause === 'string' ? cause : 'unknown', failures, banned }, 'background EID read failed');
  }

  private deliver(ad: Advertisement, eid: Uint8Array): void {
    try {
      this.options.onEid(ad, eid);
    } catch (err) {
      this.options.log.error({ err }, 'the EID consumer failed');
    }
  }

  private touch(address: string, state: AddressState): void {
    // Re-inserting moves the address to the young end, so eviction takes the least recently touched.
    this.addresses.delete(address);
    this.addresses.set(address, state);
    const cap = this.options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
    for (const oldest of this.addresses.keys()) {
      if (this.addresses.size <= cap) break;
      this.addresses.delete(oldest);
    }
  }

  private period(nowMs: number): number {
    return Math.floor(nowMs / 1000 / 2 ** this.options.rotationExponent);
  }
}
