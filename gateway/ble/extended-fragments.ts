import type { AdvertisingReport } from './hci-events.js';

// A controller splits an extended advertisement whose data does not fit one HCI event
// into several reports: "incomplete, more data to come" ones, then a last one that is
// complete, or truncated when the controller gave up (Core spec v5.4, Vol 4, Part E,
// 7.7.65.13, Data_Status; Vol 6, Part B, 2.3.4, AUX_CHAIN_IND). Each fragment may cut an
// AD structure in two, so fragments are decoded only once joined, and a last fragment
// whose beginning was lost is never decoded on its own.

/** The most advertising data an extended advertisement carries (Core spec v5.4, Vol 4, Part E, 7.8.54). */
export const MAX_EXTENDED_DATA = 1650;
/** Chains followed at once; an advertiser whose last fragment never came gives way to newer ones. */
const MAX_OPEN_CHAINS = 64;
/**
 * A chain's fragments come within one advertising event, milliseconds apart; a chain
 * older than this lost its last fragment, and what comes next from that advertiser is a
 * new advertisement.
 */
export const CHAIN_TIMEOUT_MS = 1000;

interface Chain {
  readonly parts: Uint8Array[];
  length: number;
  readonly startedAt: number;
  /** Grew past MAX_EXTENDED_DATA and came out truncated already: its remaining fragments are dropped. */
  overflowed: boolean;
}

/** Joins the fragments of each advertiser's chain; stateful, one per report stream. */
export class ExtendedFragments {
  private readonly chains = new Map<string, Chain>();
  /** Chains given up while still open (too many at once): their later fragments are dropped, not decoded alone. */
  private readonly abandoned = new Map<string, number>();

  /**
   * Takes the next report, heard at `at` (ms); returns what to decode now: the report
   * itself when it is whole, the joined advertisement at a chain's last fragment,
   * nothing for a fragment that more will follow or whose chain was lost. A chain that
   * grows past MAX_EXTENDED_DATA comes out truncated.
   */
  push(report: AdvertisingReport, at: number): AdvertisingReport | undefined {
    if (report.kind !== 'extended') return report;
    // Anonymous advertisers share one address: their fragments cannot be told apart.
    if (report.addressType === 'anonymous') return report.dataStatus === 'incomplete' ? undefined : report;
    // Same advertiser, same advertising set, same kind of PDU (data status bits aside).
    const key = `${report.address}/${report.addressType}/${report.sid ?? '-'}/${report.eventType & 0x1f}`;
    this.expire(at);
    let chain = this.chains.get(key);
    if (chain === undefined && this.abandoned.has(key)) {
      // The rest of a chain given up: its beginning is gone.
      if (report.dataStatus !== 'incomplete') this.abandoned.delete(key);
      return undefined;
    }
    if (report.dataStatus === 'incomplete') {
      if (chain === undefined) {
        if (this.chains.size >= MAX_OPEN_CHAINS) this.abandon(this.chains.keys().next().value!, at);
        chain = { parts: [], length: 0, startedAt: at, overflowed: false };
        this.chains.set(key, chain);
      }
      if (chain.overflowed) return undefined;
      if (chain.length + report.data.length > MAX_EXTENDED_DATA) {
        chain.overflowed = true;
        return { ...report, dataStatus: 'truncated', data: join(chain, report.data) };
      }
      chain.parts.push(Uint8Array.from(report.data));
      chain.length += report.data.length;
      return undefined;
    }
    if (chain === undefined) return report;
    this.chains.delete(key);
    return chain.overflowed ? undefined : { ...report, data: join(chain, report.data) };
  }

  private abandon(key: string, at: number): void {
    this.chains.delete(key);
    // Deleted first, so that the map stays in the order of abandonment for expire().
    this.abandoned.delete(key);
    if (this.abandoned.size >= MAX_OPEN_CHAINS) this.abandoned.delete(this.abandoned.keys().next().value!);
    this.abandoned.set(key, at);
  }

  /**
   * Forgets chains (oldest first, as the map keeps them) that waited too long for their last
   * fragment: what their advertiser sends now is a new advertisement, not their tail.
   */
  private expire(at: number): void {
    for (const [key, chain] of this.chains) {
      if (at - chain.startedAt <= CHAIN_TIMEOUT_MS) break;
      this.chains.delete(key);
    }
    for (const [key, since] of this.abandoned) {
      if (at - since <= CHAIN_TIMEOUT_MS) break;
      this.abandoned.delete(key);
    }
  }
}

function join(chain: Chain, last: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.min(MAX_EXTENDED_DATA, chain.length + last.length));
  let at = 0;
  for (const part of [...chain.parts, last]) {
    const take = Math.min(part.length, out.length - at);
    out.set(part.subarray(0, take), at);
    at += take;
  }
  return out;
}
