import type { Frame } from '../ble/decode.js';
import { computeEid } from './eid.js';
import type { Member, Roster } from './roster.js';

export type Resolution =
  | { readonly status: 'member'; readonly member: Member }
  /** Not a member's identifier: drop it without a trace. */
  | { readonly status: 'unknown' }
  /** A 4-byte iBeacon prefix that two members share this period: never guessed. */
  | { readonly status: 'ambiguous' };

const UNKNOWN: Resolution = { status: 'unknown' };
const AMBIGUOUS: Resolution = { status: 'ambiguous' };

interface Tables {
  readonly period: number;
  /** Full 8-byte EID (hex) to member; null when shared. */
  readonly eid: Map<string, Member | null>;
  /** First 4 bytes of the EID, as carried in an iBeacon's major and minor; null when shared. */
  readonly prefix: Map<number, Member | null>;
}

/** Records that `member` broadcasts `key`; a key two members broadcast maps to null. */
function claim<K>(table: Map<K, Member | null>, key: K, member: Member): void {
  const holder = table.get(key);
  table.set(key, holder === undefined || holder === member ? member : null);
}

function answer(entry: Member | null | undefined): Resolution {
  if (entry === undefined) return UNKNOWN;
  return entry === null ? AMBIGUOUS : { status: 'member', member: entry };
}

/**
 * Maps an advertised identifier to a member in O(1): every member's EIDs for the
 * previous, current and next rotation period (phone clocks drift) are precomputed
 * in hash tables, rebuilt when the period changes.
 */
export class Resolver {
  private tables: Tables | undefined;

  constructor(
    private readonly roster: Roster,
    private readonly appUuid: string,
  ) {}

  resolve(frame: Frame, nowMs: number): Resolution {
    const tables = this.tablesFor(nowMs);
    if (frame.kind === 'eddystone-eid') {
      return answer(tables.eid.get(Buffer.from(frame.eid.buffer, frame.eid.byteOffset, 8).toString('hex')));
    }
    if (frame.uuid !== this.appUuid) return UNKNOWN;
    return answer(tables.prefix.get(((frame.major << 16) | frame.minor) >>> 0));
  }

  memberCount(): number {
    return this.roster.members.length;
  }

  private tablesFor(nowMs: number): Tables {
    const k = this.roster.rotationExponent;
    const period = Math.floor(nowMs / 1000 / 2 ** k);
    if (this.tables?.period !== period) this.tables = this.build(period, k);
    return this.tables;
  }

  private build(period: number, k: number): Tables {
    const eid = new Map<string, Member | null>();
    const prefix = new Map<number, Member | null>();
    for (const member of this.roster.members) {
      if (!member.consent.presence) continue;
      for (const p of [period - 1, period, period + 1]) {
        const value = computeEid(member.identityKey, k, p * 2 ** k);
        claim(eid, value.toString('hex'), member);
        claim(prefix, value.readUInt32BE(0), member);
      }
    }
    return { period, eid, prefix };
  }
}
