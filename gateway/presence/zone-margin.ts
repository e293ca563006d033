import type { ZoneKind } from '../config/schema.js';

// How far a challenger zone must lead the member's current zone before the tracker
// moves them (in the tracker's score, -20·log10(distance), so dB of closeness).
// Each rule below was measured on the simulated store (README, Presence).

/**
 * For this long after a move the member is probably still walking, and the zone just
 * taken may be the neighbour of the right one: a smaller margin lets the tracker
 * correct itself before the shopper has settled, when a correction is a late arrival
 * rather than a flap.
 */
export const SETTLING_MS = 15_000;
export const SETTLING_MARGIN_DB = 5;

/**
 * Between two tills the full margin is about all their receivers differ by: tills 3 m
 * apart, with the shopper about 1.4 m from their own counter's receiver, differ by about
 * 9 dB of RSSI, 7-8 dB of closeness at a path-loss exponent of 2.4, and shadowing moves
 * that by 5 dB either way for a whole stay. A shopper put at the neighbouring till on
 * the way (most often an Android phone, one advert a second) waited tens of seconds for
 * a favourable fade before moving, and their card waited with them. Keeping the settling
 * margin for the whole stay between two tills brought the dwell p95 of stays heard in
 * time from 23-26 s to 17-21 s, with zone accuracy as good or better and about 0.1 more
 * flaps per 10 minutes. Smaller margins (4, 4.5 dB), or a smaller one still when the
 * leading till's receiver hears the member within 1.5-2 m (iBeacon's "immediate"),
 * added more flaps than they saved seconds.
 */
export const TILL_PAIR_MARGIN_DB = 5;

export interface MarginContext {
  /** presence.zoneMarginDb: the margin between any other zones, once settled. */
  readonly zoneMarginDb: number;
  /** How long since the tracker last moved the member (ms). */
  readonly sinceMoveMs: number;
  readonly currentKind: ZoneKind | undefined;
  readonly challengerKind: ZoneKind | undefined;
}

export function challengeMarginDb({ zoneMarginDb, sinceMoveMs, currentKind, challengerKind }: MarginContext): number {
  let margin = zoneMarginDb;
  if (sinceMoveMs < SETTLING_MS) margin = Math.min(margin, SETTLING_MARGIN_DB);
  if (currentKind === 'pos' && challengerKind === 'pos') margin = Math.min(margin, TILL_PAIR_MARGIN_DB);
  return margin;
}
