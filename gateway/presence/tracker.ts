import type { Config, ZoneConfig } from '../config/schema.js';
import type { Moment, PresentMember, Sighting } from './moments.js';

interface ReceiverReading {
  smoothed: number;
  lastHeard: number;
}

interface MemberState {
  readonly memberId: string;
  readonly firstSeen: number;
  lastSeen: number;
  zoneId: string | undefined;
  zoneSince: number;
  dwellReported: boolean;
  challenger: string | undefined;
  challengerSamples: number;
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
  private readonly receiverZone: Map<string, string>;
  private readonly receiverOffset: Map<string, number>;
  private readonly zones: Map<string, ZoneConfig>;

  constructor(private readonly settings: PresenceSettings) {
    this.receiverZone = new Map(settings.receivers.map((r) => [r.id, r.zone]));
    this.receiverOffset = new Map(settings.receivers.map((r) => [r.id, r.rssiOffset]));
    this.zones = new Map(settings.zones.map((z) => [z.id, z]));
  }

  /** Sightings from receivers missing from config are ignored: their zone is unknown. */
  observe(sighting: Sighting): Moment[] {
    if (!this.receiverZone.has(sighting.receiverId)) return [];
    const moments: Moment[] = [];
    let state = this.members.get(sighting.memberId);
    if (state === undefined) {
      state = {
        memberId: sighting.memberId,
        firstSeen: sighting.at,
        lastSeen: sighting.at,
        zoneId: undefined,
        zoneSince: sighting.at,
        dwellReported: false,
        challenger: undefined,
        challengerSamples: 0,
        readings: new Map(),
      };
      this.members.set(sighting.memberId, state);
      moments.push({ kind: 'entered-store', memberId: sighting.memberId, at: sighting.at });
    }
    state.lastSeen = Math.max(state.lastSeen, sighting.at);
    this.record(state, sighting);
    this.updateZone(state, sighting.at, moments);
    this.checkDwell(state, sighting.at, moments);
    return moments;
  }

  /** Time-driven transitions: dwelling reached, and members not heard for the leave timeout. */
  sweep(now: number): Moment[] {
    const moments: Moment[] = [];
    const leaveAfter = this.settings.presence.leaveTimeoutSeconds * 1000;
    for (const state of this.members.values()) {
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
    return [...this.members.values()].map((s) => ({
      memberId: s.memberId,
      zoneId: s.zoneId,
      zoneSince: s.zoneSince,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
    }));
  }

  private record(state: MemberState, sighting: Sighting): void {
    const rssi = sighting.rssi + (this.receiverOffset.get(sighting.receiverId) ?? 0);
    const reading = state.readings.get(sighting.receiverId);
    const alpha = this.settings.presence.smoothing;
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    if (reading === undefined || sighting.at - reading.lastHeard > stale) {
      state.readings.set(sighting.receiverId, { smoothed: rssi, lastHeard: sighting.at });
    } else {
      reading.smoothed = alpha * rssi + (1 - alpha) * reading.smoothed;
      reading.lastHeard = sighting.at;
    }
  }

  /** The strongest smoothed RSSI per zone among receivers that heard the member recently. */
  private zoneScores(state: MemberState, now: number): Map<string, number> {
    const stale = this.settings.presence.staleReceiverSeconds * 1000;
    const scores = new Map<string, number>();
    for (const [receiverId, reading] of state.readings) {
      if (now - reading.lastHeard > stale) continue;
      const zone = this.receiverZone.get(receiverId)!;
      scores.set(zone, Math.max(scores.get(zone) ?? -Infinity, reading.smoothed));
    }
    return scores;
  }

  private updateZone(state: MemberState, now: number, moments: Moment[]): void {
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
    state.challengerSamples = state.challenger === leader ? state.challengerSamples + 1 : 1;
    state.challenger = leader;
    if (state.zoneId !== undefined && state.challengerSamples < this.settings.presence.zoneSamples) return;
    state.zoneId = leader;
    state.zoneSince = now;
    state.dwellReported = false;
    state.challenger = undefined;
    state.challengerSamples = 0;
    moments.push({ kind: 'entered-zone', memberId: state.memberId, zoneId: leader, at: now });
  }

  private checkDwell(state: MemberState, now: number, moments: Moment[]): void {
    if (state.zoneId === undefined || state.dwellReported) return;
    const zone = this.zones.get(state.zoneId);
    if (zone === undefined || now - state.zoneSince < zone.dwellSeconds * 1000) return;
    state.dwellReported = true;
    moments.push({ kind: 'dwelling', memberId: state.memberId, zoneId: state.zoneId, since: state.zoneSince, at: now });
  }
}
