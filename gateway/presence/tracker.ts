import type { Config, ReceiverConfig, ZoneConfig } from '../config/schema.js';
import { distanceMetres, DEFAULT_MEASURED_POWER } from './distance.js';
import type { Moment, PresentMember, Sighting } from './moments.js';
import { createRssiFilter, type RssiFilter } from './rssi-filter.js';
import { challengeMarginDb } from './zone-margin.js';

interface ReceiverReading {
  readonly filter: RssiFilter;
  lastHeard: number;
  /** The member's active time (see MemberState.activeMs) when this receiver last heard them. */
  heardAtActive: number;
  /** The frame's power at 1 m, as last heard. */
  measuredPower: number;
}

interface MemberState {
  readonly memberId: string;
  readonly firstSeen: number;
  lastSeen: number;
  /** The last sighting came through the iOS background path: a longer leave timeout applies. */
  background: boolean;
  zoneId: string | undefined;
  /** When the evidence for the current zone began (entered-zone's `since`). */
  zoneSince: number;
  /** When the tracker moved the member there (entered-zone's `at`). */
  zoneEnteredAt: number;
  dwellReported: boolean;
  challenger: string | undefined;
  challengerSamples: number;
  /** When the challenger first led on a sample of its own. */
  challengerSince: number;
  /** When the challenger began to lead, on any receiver's sample. */
  challengerLedSince: number;
  readonly readings: Map<string, ReceiverReading>;
  /**
   * Time the member's phone has been advertising, gaps between sightings counted at most
   * ACTIVE_GAP_MS: a backgrounded iPhone silent for 20 s comes back with its receivers
   * still fresh, instead of with none, when the first receiver to hear it would win outright.
   */
  activeMs: number;
  lastHeardAny: number;
}

/** The longest silence that counts in full towards a member's active time. */
const ACTIVE_GAP_MS = 1000;

/** How much louder an entrance receiver must hear a member to count (see keepInRssi). */
const DOOR_MARGIN_DB = 6;

export type PresenceSettings = Pick<Config, 'presence' | 'zones' | 'receivers'>;

/**
 * Where each present member is. RSSI per receiver is smoothed (presence.filter); a
 * member moves to another zone only when that zone leads the current one by
 * `zoneMarginDb` for `zoneSamples` sightings in a row, so a shopper standing between
 * two receivers does not flap between tills.
 */
export class PresenceTracker {
  private readonly members = new Map<string, MemberState>();
  private readonly receivers: Map<string, ReceiverConfig>;
  private readonly zones: Map<string, ZoneConfig>;

  constructor(private readonly settings: PresenceSettings) {
    this.receivers = new Map(settings.receivers.map((r) => [r.id, r]));
    this.zones = new Map(settings.zones.map((z) => [z.id, z]));
  }

  /** Sightings from receivers missing from config are ignored: their zone is unknown. */
  observe(sighting: Sighting): Moment[] {
    const receiver = this.receivers.get(sighting.receiverId);
    if (receiver === undefined) return [];
    // A faint sighting (a phone outside, through the shop front) still says where a
    // member in the store is, but it neither brings anyone in nor keeps them in.
    const faint = sighting.rssi + receiver.rssiOffset < this.keepInRssi(receiver);
    const moments: Moment[] = [];
    let state = this.members.get(sighting.memberId);
    if (state === undefined) {
      if (faint) return [];
      state = {
        memberId: sighting.memberId,
        firstSeen: sighting.at,
        lastSeen: sighting.at,
        background: sighting.background === true,
        zoneId: undefined,
        zoneSince: sighting.at,
        zoneEnteredAt: sighting.at,
        dwellReported: false,
        challenger: undefined,
        challengerSamples: 0,
        challengerSince: sighting.at,
        challengerLedSince: sighting.at,
        readings: new Map(),
        activeMs: 0,
        lastHeardAny: sighting.at,
      };
      this.members.set(sighting.memberId, state);
      moments.push({ kind: 'entered-store', memberId: sighting.memberId, at: sighting.at });
    }
    if (!faint && sighting.at >= state.lastSeen) {
      state.lastSeen = sighting.at;
      state.background = sighting.background === true;
    }
    state.activeMs += Math.min(ACTIVE_GAP_MS, Math.max(0, sighting.at - state.lastHeardAny));
    state.lastHeardAny = Math.max(state.lastHeardAny, sighting.at);
    this.record(state, sighting);
    this.updateZone(state, sighting.at, receiver.zone, moments);
    this.checkDwell(state, sighting.at, moments);
    return moments;
  }

  /**
   * The level a sighting must reach to bring a member in or keep them in. A receiver in an
   * entrance zone hears the street through the open door, with no wall in between: a shopper
   * who has just walked out stays above minRssi there for several seconds, which all adds to
   * the leave delay, so it must hear a member DOOR_MARGIN_DB louder to count.
   */
  keepInRssi(receiver: ReceiverConfig): number {
    const { minRssi } = this.settings.presence;
    return this.zones.get(receiver.zone)?.kind === 'entrance' ? minRssi + DOOR_MARGIN_DB : minRssi;
  }

  /** Time-driven transitions: dwelling reached, and members not heard for the leave timeout. */
  sweep(now: number): Moment[] {
    const moments: Moment[] = [];
    const { leaveTimeoutSeconds, backgroundLeaveTimeoutSeconds } = this.settings.presence;
    for (const state of this.members.values()) {
      const leaveAfter = (state.background ? Math.max(leaveTimeoutSeconds, backgroundLeaveTimeoutSeconds) : leaveTimeoutSeconds) * 1000;
      if (now - state.lastSeen >= leaveAfter) {
        this.members.delete(state.memberId);
        moments.push({ kind: 'left', memberId: state.memberId, lastZoneId: state.zoneId, at: now });
      } else {
        this.checkDwell(state, now, moments);
      }
    }
    return moments;
  }

  /** Drops a member at once (consent withdrawn); returns the `left` moment if they were present. */
  forget(memberId: string, now: number): Moment | undefined {
    const state = this.members.get(memberId);
    if (state === undefined) return undefined;
    this.members.delete(memberId);
    return { kind: 'left', memberId, lastZoneId: state.zoneId, at: now };
  }

  present(): PresentMember[] {
    return [...this.members.values()].map((s) => {
      const nearest = this.nearestDistance(s);
      return {
        memberId: s.memberId,
        zoneId: s.zoneId,
        zoneSince: s.zoneSince,
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
        ...(nearest === undefined ? {} : { distanceM: Math.round(nearest * 10) / 10 }),
      };
    });
  }

  private record(state: MemberState, sighting: Sighting): void {
    const receiver = this.receivers.get(sighting.receiverId)!;
    const rssi = sighting.rssi + receiver.rssiOffset;
    const reading = state.readings.get(sighting.receiverId);
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    const measuredPower = sighting.measuredPower ?? DEFAULT_MEASURED_POWER;
    if (reading === undefined || state.activeMs - reading.heardAtActive > stale) {
      const { filter, smoothing } = this.settings.presence;
      state.readings.set(sighting.receiverId, {
        filter: createRssiFilter(filter, rssi, sighting.at, smoothing),
        lastHeard: sighting.at,
        heardAtActive: state.activeMs,
        measuredPower,
      });
    } else {
      reading.filter.update(rssi, sighting.at);
      reading.lastHeard = sighting.at;
      reading.heardAtActive = state.activeMs;
      reading.measuredPower = measuredPower;
    }
  }

  private distanceOf(receiverId: string, reading: ReceiverReading): number {
    return distanceMetres(reading.filter.value(), reading.measuredPower, this.receivers.get(receiverId)!.pathLossExponent);
  }

  private nearestDistance(state: MemberState): number | undefined {
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    let nearest: number | undefined;
    for (const [receiverId, reading] of state.readings) {
      if (state.activeMs - reading.heardAtActive > stale) continue;
      const d = this.distanceOf(receiverId, reading);
      if (nearest === undefined || d < nearest) nearest = d;
    }
    return nearest;
  }

  /**
   * Per zone, how close the member is to its nearest receiver that heard them recently
   * (in the member's active time),
   * as -20·log10(distance): in dB, so that presence.zoneMarginDb keeps its meaning
   * while receivers with other path-loss exponents are compared fairly.
   */
  private zoneScores(state: MemberState): Map<string, number> {
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    const scores = new Map<string, number>();
    for (const [receiverId, reading] of state.readings) {
      if (state.activeMs - reading.heardAtActive > stale) continue;
      const zone = this.receivers.get(receiverId)!.zone;
      const score = -20 * Math.log10(this.distanceOf(receiverId, reading));
      scores.set(zone, Math.max(scores.get(zone) ?? -Infinity, score));
    }
    return scores;
  }

  /**
   * The hysteresis: a challenger zone must lead the current one by zoneMarginDb (less
   * just after a move, and between two tills: zone-margin.ts) on zoneSamples of its own
   * fresh samples in a row. Counting only the challenger's own samples matters: one loud reflection at a till, held while the floor receivers keep
   * reporting, must not count once per floor sample.
   */
  private updateZone(state: MemberState, now: number, heardIn: string, moments: Moment[]): void {
    const scores = this.zoneScores(state);
    let leader: string | undefined;
    for (const [zone, score] of scores) if (leader === undefined || score > scores.get(leader)!) leader = zone;
    if (leader === undefined || leader === state.zoneId) {
      state.challenger = undefined;
      state.challengerSamples = 0;
      return;
    }
    const current = state.zoneId === undefined ? -Infinity : (scores.get(state.zoneId) ?? -Infinity);
    const margin = challengeMarginDb({
      zoneMarginDb: this.settings.presence.zoneMarginDb,
      sinceMoveMs: now - state.zoneEnteredAt,
      currentKind: state.zoneId === undefined ? undefined : this.zones.get(state.zoneId)?.kind,
      challengerKind: this.zones.get(leader)?.kind,
    });
    if (scores.get(leader)! < current + margin) {
      state.challenger = undefined;
      state.challengerSamples = 0;
      return;
    }
    if (state.challenger !== leader) state.challengerLedSince = now;
    if (heardIn !== leader) {
      if (state.challenger !== leader) {
        state.challenger = leader;
        state.challengerSamples = 0;
      }
      return;
    }
    if (state.challenger !== leader || state.challengerSamples === 0) state.challengerSince = now;
    state.challengerSamples = state.challenger === leader ? state.challengerSamples + 1 : 1;
    state.challenger = leader;
    const { zoneSamples, zoneLeadSeconds } = this.settings.presence;
    if (state.zoneId !== undefined && (state.challengerSamples < zoneSamples || now - state.challengerSince < zoneLeadSeconds * 1000)) return;
    // The member has been in the new zone since it began to lead, not since we became sure:
    // dwelling is timed from there, or a till would wait for the hysteresis and then the threshold.
    this.enterZone(state, leader, state.zoneId === undefined ? now : state.challengerLedSince, now, moments);
  }

  private enterZone(state: MemberState, zoneId: string, since: number, now: number, moments: Moment[]): void {
    state.zoneId = zoneId;
    state.zoneSince = since;
    state.zoneEnteredAt = now;
    state.dwellReported = false;
    state.challenger = undefined;
    state.challengerSamples = 0;
    moments.push({ kind: 'entered-zone', memberId: state.memberId, zoneId, since, at: now });
  }

  private checkDwell(state: MemberState, now: number, moments: Moment[]): void {
    if (state.zoneId === undefined || state.dwellReported) return;
    const zone = this.zones.get(state.zoneId);
    if (zone === undefined || now - state.zoneSince < zone.dwellSeconds * 1000) return;
    state.dwellReported = true;
    moments.push({ kind: 'dwelling', memberId: state.memberId, zoneId: state.zoneId, since: state.zoneSince, at: now });
  }
}
