import type { Config, ReceiverConfig, ZoneConfig } from '../config/schema.js';
import { distanceMetres, DEFAULT_MEASURED_POWER } from './distance.js';
import type { Moment, PresentMember, Sighting } from './moments.js';
import { createRssiFilter, type RssiFilter } from './rssi-filter.js';

interface ReceiverReading {
  readonly filter: RssiFilter;
  lastHeard: number;
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
  zoneSince: number;
  dwellReported: boolean;
  challenger: string | undefined;
  challengerSamples: number;
  /** When the challenger first led on a sample of its own. */
  challengerSince: number;
  readonly readings: Map<string, ReceiverReading>;
}

export type PresenceSettings = Pick<Config, 'presence' | 'zones' | 'receivers'>;

/**
 * Where each present member is. RSSI per receiver is smoothed with an exponential
 * moving average; a member moves to another zone only when that zone leads the
 * current one by `zoneMarginDb` for `zoneSamples` sightings in a row, so a shopper
 * standing between two receivers does not flap between tills.
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
    const faint = sighting.rssi + receiver.rssiOffset < this.settings.presence.minRssi;
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
        dwellReported: false,
        challenger: undefined,
        challengerSamples: 0,
        challengerSince: sighting.at,
        readings: new Map(),
      };
      this.members.set(sighting.memberId, state);
      moments.push({ kind: 'entered-store', memberId: sighting.memberId, at: sighting.at });
    }
    if (!faint && sighting.at >= state.lastSeen) {
      state.lastSeen = sighting.at;
      state.background = sighting.background === true;
    }
    this.record(state, sighting);
    this.updateZone(state, sighting.at, receiver.zone, moments);
    this.checkDwell(state, sighting.at, moments);
    return moments;
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
      const nearest = this.nearestDistance(s, s.lastSeen);
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
    if (reading === undefined || sighting.at - reading.lastHeard > stale) {
      const { filter, smoothing } = this.settings.presence;
      state.readings.set(sighting.receiverId, { filter: createRssiFilter(filter, rssi, sighting.at, smoothing), lastHeard: sighting.at, measuredPower });
    } else {
      reading.filter.update(rssi, sighting.at);
      reading.lastHeard = sighting.at;
      reading.measuredPower = measuredPower;
    }
  }

  private distanceOf(receiverId: string, reading: ReceiverReading): number {
    return distanceMetres(reading.filter.value(), reading.measuredPower, this.receivers.get(receiverId)!.pathLossExponent);
  }

  private nearestDistance(state: MemberState, now: number): number | undefined {
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    let nearest: number | undefined;
    for (const [receiverId, reading] of state.readings) {
      if (now - reading.lastHeard > stale) continue;
      const d = this.distanceOf(receiverId, reading);
      if (nearest === undefined || d < nearest) nearest = d;
    }
    return nearest;
  }

  /**
   * Per zone, how close the member is to its nearest receiver that heard them recently,
   * as -20·log10(distance): in dB, so that presence.zoneMarginDb keeps its meaning
   * while receivers with other path-loss exponents are compared fairly.
   */
  private zoneScores(state: MemberState, now: number): Map<string, number> {
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    const scores = new Map<string, number>();
    for (const [receiverId, reading] of state.readings) {
      if (now - reading.lastHeard > stale) continue;
      const zone = this.receivers.get(receiverId)!.zone;
      const score = -20 * Math.log10(this.distanceOf(receiverId, reading));
      scores.set(zone, Math.max(scores.get(zone) ?? -Infinity, score));
    }
    return scores;
  }

  /**
   * The hysteresis: a challenger zone must lead the current one by zoneMarginDb on
   * zoneSamples of its own fresh samples in a row. Counting only the challenger's own
   * samples matters: one loud reflection at a till, held while the floor receivers keep
   * reporting, must not count once per floor sample.
   */
  private updateZone(state: MemberState, now: number, heardIn: string, moments: Moment[]): void {
    const scores = this.zoneScores(state, now);
    let leader: string | undefined;
    for (const [zone, score] of scores) if (leader === undefined || score > scores.get(leader)!) leader = zone;
    if (leader === undefined || leader === state.zoneId) {
      state.challenger = undefined;
      state.challengerSamples = 0;
      return;
    }
    const current = state.zoneId === undefined ? -Infinity : (scores.get(state.zoneId) ?? -Infinity);
    if (scores.get(leader)! < current + this.settings.presence.zoneMarginDb) {
      state.challenger = undefined;
      state.challengerSamples = 0;
      return;
    }
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
    this.enterZone(state, leader, now, moments);
  }

  private enterZone(state: MemberState, zoneId: string, now: number, moments: Moment[]): void {
    state.zoneId = zoneId;
    state.zoneSince = now;
    state.dwellReported = false;
    state.challenger = undefined;
    state.challengerSamples = 0;
    moments.push({ kind: 'entered-zone', memberId: state.memberId, zoneId, at: now });
  }

  private checkDwell(state: MemberState, now: number, moments: Moment[]): void {
    if (state.zoneId === undefined || state.dwellReported) return;
    const zone = this.zones.get(state.zoneId);
    if (zone === undefined || now - state.zoneSince < zone.dwellSeconds * 1000) return;
    state.dwellReported = true;
    moments.push({ kind: 'dwelling', memberId: state.memberId, zoneId: state.zoneId, since: state.zoneSince, at: now });
  }
}
