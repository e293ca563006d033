import { createHash } from 'node:crypto';
import type { HourlySummary, VisitWithoutPurchase } from '../contracts/sync.js';
import type { StoredEvent } from '../ports.js';
import type { DerivedEvent } from './sync-ports.js';

// The hourly summary and the visits that ended without a purchase, computed from the
// stored events alone, so that hours missed while the gateway was down are computed
// the same way afterwards. Pure: the same events give the same records and the same
// keys, which makes writing them twice a no-op.

export const HOUR_MS = 3_600_000;
/** How far back a visit that ends in the hour may have started. */
export const VISIT_LOOKBACK_MS = 12 * HOUR_MS;

const VISIT_TYPES = new Set(['entered-store', 'entered-zone', 'dwelling', 'left']);

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function rate(members: Set<string>, purchasers: Set<string>): HourlySummary['uplift']['treated'] {
  const bought = [...members].filter((m) => purchasers.has(m)).length;
  return { members: members.size, purchasers: bought, rate: members.size === 0 ? null : bought / members.size };
}

/** A stable key for a derived record: the same hour (and member) always gives the same one. */
export function derivedKey(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

interface Visit {
  readonly memberId: string;
  readonly enteredAt: number;
  readonly leftAt: number;
}

/** Visits that ended in [hourStart, hourEnd): each `left` paired with the member's last entered-store before it. */
function visitsEnded(events: readonly StoredEvent[], hourStart: number, hourEnd: number): Visit[] {
  const entered = new Map<string, number>();
  const visits: Visit[] = [];
  for (const e of events) {
    if (e.memberId === undefined) continue;
    if (e.type === 'entered-store') entered.set(e.memberId, e.at);
    if (e.type === 'left' && e.at >= hourStart && e.at < hourEnd) {
      const start = entered.get(e.memberId);
      if (start !== undefined) visits.push({ memberId: e.memberId, enteredAt: start, leftAt: e.at });
      entered.delete(e.memberId);
    }
  }
  return visits;
}

/**
 * The summary of one hour of the store's local time and the visits without purchase that ended in it.
 * `events`: every stored event from hourStart - VISIT_LOOKBACK_MS to the hour's end, oldest first.
 * `hourEnd` is an hour later except across a half-hour clock change (local-clock.ts, nextLocalHour).
 */
export function summarizeHour(events: readonly StoredEvent[], hourStart: number, storeId: string, hourEnd = hourStart + HOUR_MS): DerivedEvent[] {
  const inHour = events.filter((e) => e.at >= hourStart && e.at < hourEnd);
  const members = new Set<string>();
  const treated = new Set<string>();
  const heldOut = new Set<string>();
  const purchasers = new Set<string>();
  let visits = 0;
  let dwellings = 0;
  const cards = { shown: 0, heldOut: 0, withdrawn: 0 };
  const feedback = { accepted: 0, dismissed: 0, purchased: 0 };
  for (const e of inHour) {
    if (VISIT_TYPES.has(e.type) && e.memberId !== undefined) members.add(e.memberId);
    if (e.type === 'entered-store') visits += 1;
    if (e.type === 'dwelling') dwellings += 1;
    if (e.type === 'card-shown') {
      cards.shown += 1;
      if (e.memberId !== undefined) treated.add(e.memberId);
    }
    if (e.type === 'card-held-out') {
      cards.heldOut += 1;
      if (e.memberId !== undefined) heldOut.add(e.memberId);
    }
    if (e.type === 'card-withdrawn') cards.withdrawn += 1;
    if (e.type === 'feedback') {
      const action = str(e.payload.action);
      if (action === 'accepted' || action === 'dismissed' || action === 'purchased') feedback[action] += 1;
      if (action === 'purchased' && e.memberId !== undefined) purchasers.add(e.memberId);
    }
  }
  const ended = visitsEnded(events, hourStart, hourEnd);
  const totalSeconds = ended.reduce((sum, v) => sum + (v.leftAt - v.enteredAt) / 1000, 0);
  const treatedRate = rate(treated, purchasers);
  const holdoutRate = rate(heldOut, purchasers);
  const summary: HourlySummary = {
    schema: 'vitrin.hourly-summary/1',
    storeId,
    hourStart: new Date(hourStart).toISOString(),
    hourEnd: new Date(hourEnd).toISOString(),
    visits,
    uniqueMembers: members.size,
    dwell: { visitsEnded: ended.length, totalSeconds, averageSeconds: ended.length === 0 ? null : totalSeconds / ended.length, zoneDwellings: dwellings },
    cards,
    accepted: feedback.accepted,
    dismissed: feedback.dismissed,
    purchases: feedback.purchased,
    uplift: {
      treated: treatedRate,
      holdout: holdoutRate,
      difference: treatedRate.rate === null || holdoutRate.rate === null ? null : treatedRate.rate - holdoutRate.rate,
    },
  };
  const derived: DerivedEvent[] = [{ key: derivedKey('hourly-summary', storeId, summary.hourStart), type: 'hourly-summary', at: hourEnd - 1, payload: summary }];
  const byMember = new Map<string, StoredEvent[]>();
  for (const e of events) {
    if (e.memberId === undefined) continue;
    const list = byMember.get(e.memberId);
    if (list === undefined) byMember.set(e.memberId, [e]);
    else list.push(e);
  }
  for (const visit of ended) {
    const during = (byMember.get(visit.memberId) ?? []).filter((e) => e.at >= visit.enteredAt && e.at <= visit.leftAt);
    if (during.some((e) => e.type === 'feedback' && e.payload.action === 'purchased')) continue;
    const shown = during.filter((e) => e.type === 'card-shown');
    const skus = shown.flatMap((e) => (Array.isArray(e.payload.suggestions) ? (e.payload.suggestions as { sku?: unknown }[]) : []).map((s) => str(s.sku)));
    const record: VisitWithoutPurchase = {
      schema: 'vitrin.visit-without-purchase/1',
      enteredAt: new Date(visit.enteredAt).toISOString(),
      leftAt: new Date(visit.leftAt).toISOString(),
      dwellSeconds: (visit.leftAt - visit.enteredAt) / 1000,
      zones: [...new Set(during.filter((e) => e.type === 'entered-zone').map((e) => str(e.payload.zoneId)).filter((z): z is string => z !== undefined))],
      cardIds: shown.map((e) => str(e.payload.cardId)).filter((c): c is string => c !== undefined),
      suggestedSkus: [...new Set(skus.filter((s): s is string => s !== undefined))],
    };
    derived.push({ key: derivedKey('visit-without-purchase', storeId, visit.memberId, String(visit.leftAt)), type: 'visit-without-purchase', memberId: visit.memberId, at: visit.leftAt, payload: record });
  }
  return derived;
}
