import type { AdvertisingReport } from './hci-events.js';

// A controller splits an extended advertisement whose data does not fit one HCI event
// into several reports: "incomplete, more data to come" ones, then a last one that is
// complete, or truncated when the controller gave up (Core spec v5.4, Vol 4, Part E,
// 7.7.65.13, Data_Status; Vol 6, Part B, 2.3.4, AUX_CHAIN_IND). Each fragment may cut an
// AD structure in two, so fragments are decoded only once joined.

/** The most advertising data an extended advertisement carries (Core spec v5.4, Vol 4, Part E, 7.8.54). */
export const MAX_EXTENDED_DATA = 1650;
/** Chains followed at once; an advertiser whose last fragment never came gives way to newer ones. */
const MAX_OPEN_CHAINS = 64;

interface Chain {
  readonly parts: Uint8Array[];
  length: number;
  /** Grew past MAX_EXTENDED_DATA and came out truncated already: its remaining fragments are dropped. */
  overflowed: boolean;
}

/** Joins the fragments of each advertiser's chain; stateful, one per report stream. */
export class ExtendedFragments {
  private readonly chains = new Map<string, Chain>();

  /**
   * Takes the next report; returns what to decode now: the report itself when it is
   * whole, the joined advertisement at a chain's last fragment, nothing for a fragment
   * that more will follow. A chain that grows past MAX_EXTENDED_DATA comes out truncated.
   */
  push(report: AdvertisingReport): AdvertisingReport | undefined {
    if (report.kind !== 'extended') return report;
    // Same advertiser, same advertising set, same kind of PDU (data status bits aside).
    const key = `${report.address}/${report.addressType}/${report.sid ?? '-'}/${report.eventType & 0x1f}`;
    const chain = this.chains.get(key);
    if (report.dataStatus === 'incomplete') {
      if (chain === undefined) {
        if (this.chains.size >= MAX_OPEN_CHAINS) this.chains.delete(this.chains.keys().next().value!);
        this.chains.set(key, { parts: [Uint8Array.from(report.data)], length: report.data.length, overflowed: false });
        return undefined;
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
