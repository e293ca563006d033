import type { Config, ZoneKind } from '../config/schema.js';
import type { MemberIdentity } from '../identity/roster.js';
import { localClock } from '../util/local-clock.js';

export type SkipReason = 'cooldown' | 'daily-cap' | 'paid' | 'dismissed' | 'erased' | 'quiet';

export type Decision =
  | { readonly action: 'show' }
  /** The member is in the holdout group: record that a card would have been shown. */
  | { readonly action: 'hold-out' }
  | { readonly action: 'skip'; readonly reason: SkipReason };

interface MemberDay {
  /** Store day (local date) these counts belong to. */
  day: string;
  cards: number;
  dismissals: number;
}

const DAY_MS = 86_400_000;

/**
 * Whether a member dwelling in a zone gets a card now, checked in this order:
 * recently erased, quiet time, already paid on this visit, dismissed too often today,
 * the daily cap, the zone's cooldown; then the holdout group. Cooldowns are per zone,
 * so a card on the floor does not keep the till from getting its own when the member
 * walks up to pay. Holdout decisions count against caps and cooldowns like shown ones,
 * so both groups see the same cadence and uplift compares like with like. Consent
 * scopes shape what the card says (see buildCard), not whether it exists.
 */
export class CardPolicy {
  private readonly lastCardAt = new Map<string, number>();
  private readonly days = new Map<string, MemberDay>();
  private readonly paid = new Set<string>();
  private readonly erasedAt = new Map<string, number>();

  constructor(private settings: Pick<Config, 'cards' | 'store'>) {}

  /** New caps, cooldowns and quiet times from a config reload; what was counted stays. */
  reconfigure(settings: Pick<Config, 'cards' | 'store'>): void {
    this.settings = settings;
  }

  decide(member: MemberIdentity, zone: { readonly id: string; readonly kind: ZoneKind }, now: number): Decision {
    const { cards } = this.settings;
    const erased = this.erasedAt.get(member.id);
    if (erased !== undefined && now - erased < cards.erasedSuppressHours * 3_600_000) return { action: 'skip', reason: 'erased' };
    if (this.isQuiet(zone.id, now)) return { action: 'skip', reason: 'quiet' };
    if (this.paid.has(member.id)) return { action: 'skip', reason: 'paid' };
    const today = this.dayOf(member.id, now);
    if (today.dismissals >= cards.dismissalsToSuppress) return { action: 'skip', reason: 'dismissed' };
    if (cards.dailyCap > 0 && today.cards >= cards.dailyCap) return { action: 'skip', reason: 'daily-cap' };
    const last = this.lastCardAt.get(`${member.id}\u0000${zone.id}`);
    const cooldown = (zone.kind === 'entrance' ? undefined : cards.cooldownByKind[zone.kind]) ?? cards.cooldownSeconds;
    if (last !== undefined && now - last < cooldown * 1000) return { action: 'skip', reason: 'cooldown' };
    return member.holdout ? { action: 'hold-out' } : { action: 'show' };
  }

  /** A card was shown or held out. */
  record(memberId: string, zoneId: string, now: number): void {
    this.lastCardAt.set(`${memberId}\u0000${zoneId}`, now);
    this.dayOf(memberId, now).cards++;
  }

  /** A new visit: what suppressed the last one (a purchase) no longer applies. */
  visitStarted(memberId: string): void {
    this.paid.delete(memberId);
  }

  /** The member paid: no more cards on this visit. */
  purchased(memberId: string): void {
    this.paid.add(memberId);
  }

  dismissed(memberId: string, now: number): void {
    this.dayOf(memberId, now).dismissals++;
  }

  /** Erased on this gateway: everything about the member goes, except that they were erased, for a while. */
  erased(memberId: string, now: number): void {
    this.forget(memberId);
    this.erasedAt.set(memberId, now);
  }

  forget(memberId: string): void {
    for (const key of this.lastCardAt.keys()) if (key.startsWith(`${memberId}\u0000`)) this.lastCardAt.delete(key);
    this.days.delete(memberId);
    this.paid.delete(memberId);
  }

  /** Drops what no longer matters (cooldowns long past, earlier days, old erasures), so memory stays bounded. */
  prune(now: number): void {
    const longest = Math.max(this.settings.cards.cooldownSeconds, ...Object.values(this.settings.cards.cooldownByKind).map((v) => v ?? 0)) * 1000;
    for (const [key, at] of this.lastCardAt) if (now - at >= longest) this.lastCardAt.delete(key);
    const today = localClock(now, this.settings.store.timezone).date;
    for (const [id, day] of this.days) if (day.day !== today) this.days.delete(id);
    for (const [id, at] of this.erasedAt) if (now - at >= Math.max(this.settings.cards.erasedSuppressHours * 3_600_000, DAY_MS)) this.erasedAt.delete(id);
  }

  private dayOf(memberId: string, now: number): MemberDay {
    const day = localClock(now, this.settings.store.timezone).date;
    let entry = this.days.get(memberId);
    if (entry?.day !== day) this.days.set(memberId, (entry = { day, cards: 0, dismissals: 0 }));
    return entry;
  }

  private isQuiet(zoneId: string, now: number): boolean {
    const rules = this.settings.cards.quiet;
    if (rules.length === 0) return false;
    const { minutes, weekday } = localClock(now, this.settings.store.timezone);
    return rules.some((rule) => {
      if (rule.zones !== undefined && !rule.zones.includes(zoneId)) return false;
      const from = toMinutes(rule.from);
      const to = toMinutes(rule.to);
      // A rule across midnight belongs to the day it starts on.
      const inside = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
      const day = from > to && minutes < to ? (weekday + 6) % 7 : weekday;
      return inside && (rule.days === undefined || rule.days.includes(day));
    });
  }
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
