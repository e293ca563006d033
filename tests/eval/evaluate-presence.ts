import { evaluationStore, insideStore, planConfig } from '../../adapters/simulator/floor-plan.js';
import { ADVERTISING, type AdvertisingProfile, type Carrier, DEFAULT_RADIO, RadioModel, type RadioParameters } from '../../adapters/simulator/radio-model.js';
import { seededRandom } from '../../adapters/simulator/random.js';
import { loadConfig } from '../../gateway/config/load.js';
import type { Config } from '../../gateway/config/schema.js';
import type { Moment } from '../../gateway/presence/moments.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import { loudestZone } from './mean-oracle.js';
import {
  type Attainable,
  attainable,
  DWELL_GOAL_S,
  emptyTally,
  type Figures,
  figures,
  FLAP_SETTLE_S,
  scoreShopper,
  type ShopperRecord,
  type Tally,
  ZONE_GRACE_S,
} from './scoring.js';
import { type CarrierMix, DEFAULT_MIX, makeShoppers } from './shoppers.js';

// Seeded shoppers walk the evaluation store; their phones' packets go through the
// radio model into a real PresenceTracker on simulated time (a sweep every second),
// and what the tracker says is scored against where they truly were.

export interface PresenceEvalOptions {
  readonly seed?: number;
  readonly shoppers?: number;
  /** Arrivals are spread over this many simulated hours. */
  readonly hours?: number;
  readonly mix?: CarrierMix;
  /** Presence settings over the shipped defaults, for tuning. */
  readonly presence?: Partial<Config['presence']>;
  readonly radio?: Partial<RadioParameters>;
  /** Advertising per phone type over the radio model's, for what-if runs (README, Presence). */
  readonly advertising?: Partial<Record<Carrier, AdvertisingProfile>>;
  readonly onProgress?: (fraction: number) => void;
}

export interface PresenceEvalReport extends Figures, Attainable {
  /** p95 leave delay of members heard only through the iOS background path (their own, longer timeout). */
  readonly leaveDelayBackgroundS: number | null;
  /** Issue 5's goals: accuracy >= 95 %, < 1 flap per 10 min, dwell within 10 s, leave within the timeout plus 5 s. */
  readonly goalsMet: Readonly<Record<'zoneAccuracy' | 'flapsPer10Min' | 'dwellDelayS' | 'leaveDelayS' | 'leaveDelayBackgroundS', boolean>>;
  readonly seed: number;
  /** The radio assumptions of this run: the model's defaults unless a what-if run changed them. */
  readonly assumptions: {
    readonly spatialSigmaDb: number;
    readonly temporalSigmaDb: number;
    /** Silent gaps of a backgrounded iPhone between bursts (s). */
    readonly backgroundGapsS: readonly [number, number];
  };
  readonly shoppers: number;
  readonly simulatedHours: number;
  readonly zoneGraceS: number;
  readonly flapSettleS: number;
  readonly leaveTimeoutS: number;
  readonly backgroundLeaveTimeoutS: number;
  readonly byCarrier: Readonly<Record<Carrier, Figures & Attainable & { readonly shoppers: number }>>;
  /** Zone accuracy per true zone. */
  readonly byZone: Readonly<Record<string, number>>;
  readonly counts: {
    readonly zoneSamples: number;
    readonly standingMinutes: number;
    readonly flaps: number;
    /** Late first moves into the true zone while standing: not counted as flaps (see scoring.ts). */
    readonly lateCorrections: number;
    readonly posStays: number;
    /** Till stays with no packet in their first DWELL_GOAL_S (left out of dwellDelayHeardS). */
    readonly silentPosStays: number;
    readonly missedDwells: number;
    readonly falseLeaves: number;
    readonly missedLeaves: number;
    readonly sightings: number;
  };
}

const START = Date.UTC(2026, 0, 5, 9, 0, 0);
const CARRIERS: readonly Carrier[] = ['android', 'ios-foreground', 'ios-background'];

export function evaluationConfig(presence: Partial<Config['presence']> = {}): Config {
  const base = loadConfig({ env: {} }).config as Config;
  return { ...base, ...planConfig(evaluationStore()), presence: { ...base.presence, ...presence } };
}

export function evaluatePresence(options: PresenceEvalOptions = {}): PresenceEvalReport {
  const seed = options.seed ?? 1;
  // 400 visits give about 300 till stays, enough for a p95 that moves little between seeds.
  const count = options.shoppers ?? 400;
  const hours = options.hours ?? 6;
  const plan = evaluationStore();
  const config = evaluationConfig(options.presence);
  const tracker = new PresenceTracker(config);
  const radio = new RadioModel(seededRandom(seed * 3 + 1), plan.walls, { ...DEFAULT_RADIO, ...options.radio });
  const shoppers = makeShoppers({
    plan,
    count,
    start: START,
    durationMs: hours * 3_600_000,
    mix: options.mix ?? DEFAULT_MIX,
    random: seededRandom(seed * 3),
    scheduleRandom: seededRandom(seed * 3 + 2),
    ...(options.advertising === undefined ? {} : { advertising: options.advertising }),
  });
  const backgroundGaps = (options.advertising?.['ios-background'] ?? ADVERTISING['ios-background']).bursts?.gapMs ?? [0, 0];
  const records = new Map<string, ShopperRecord>(shoppers.map((s) => [s.memberId, { shopper: s, moments: [], samples: [], heard: [] }]));
  const keep = (moments: readonly Moment[]) => {
    for (const moment of moments) records.get(moment.memberId)?.moments.push(moment);
  };
  const longestTimeout = Math.max(config.presence.leaveTimeoutSeconds, config.presence.backgroundLeaveTimeoutSeconds);
  const end = Math.max(...shoppers.map((s) => s.visit.goneAt)) + (longestTimeout + 30) * 1000;
  let admitted = 0;
  let active: typeof shoppers = [];
  let sightings = 0;
  let reported = 0;

  for (let now = START + 1000; now <= end; now += 1000) {
    while (admitted < shoppers.length && shoppers[admitted]!.nextPacket <= now) active.push(shoppers[admitted++]!);
    for (const shopper of active) {
      const background = shopper.carrier === 'ios-background';
      const heard = records.get(shopper.memberId)!.heard;
      while (shopper.nextPacket <= now && shopper.nextPacket <= shopper.visit.goneAt) {
        const at = shopper.nextPacket;
        shopper.nextPacket = shopper.schedule.next();
        const pose = shopper.trajectory.at(at);
        plan.receivers.forEach((site, i) => {
          const rssi = radio.receive(shopper.links[i]!, shopper.transmitter, pose, site, at);
          if (rssi === undefined) return;
          sightings += 1;
          if (heard.at(-1) !== at) heard.push(at);
          keep(tracker.observe({ memberId: shopper.memberId, receiverId: site.id, rssi, at, measuredPower: shopper.measuredPower, background }));
        });
      }
    }
    active = active.filter((s) => s.nextPacket <= s.visit.goneAt);
    keep(tracker.sweep(now));
    const zones = new Map(tracker.present().map((p) => [p.memberId, p.zoneId]));
    for (const record of records.values()) {
      const { visit, trajectory } = record.shopper;
      if (now < visit.enteredAt || now >= visit.exitedAt) continue;
      const { position } = trajectory.at(now);
      if (!insideStore(plan, position)) continue;
      record.samples.push({
        at: now,
        zoneId: zones.get(record.shopper.memberId),
        heardAt: record.heard.at(-1) ?? -Infinity,
        loudestZone: loudestZone(plan, radio, record.shopper, position),
      });
    }
    const fraction = (now - START) / (end - START);
    if (options.onProgress !== undefined && fraction - reported >= 0.1) {
      reported = fraction;
      options.onProgress(fraction);
    }
  }

  const total = emptyTally();
  const byCarrier = Object.fromEntries(CARRIERS.map((c) => [c, emptyTally()])) as Record<Carrier, Tally>;
  for (const record of records.values()) {
    scoreShopper(plan, record, total);
    scoreShopper(plan, record, byCarrier[record.shopper.carrier]);
  }
  const foregroundLeaves = [...byCarrier.android.leaveDelaysMs, ...byCarrier['ios-foreground'].leaveDelaysMs];
  const overall = figures(total);
  const leaveDelayS = figures({ ...emptyTally(), leaveDelaysMs: foregroundLeaves }).leaveDelayS;
  const leaveDelayBackgroundS = figures(byCarrier['ios-background']).leaveDelayS;
  const { leaveTimeoutSeconds, backgroundLeaveTimeoutSeconds } = config.presence;
  const atMost = (value: number | null, limit: number) => value !== null && value <= limit;
  return {
    ...overall,
    leaveDelayS,
    leaveDelayBackgroundS,
    ...attainable(total),
    goalsMet: {
      zoneAccuracy: overall.zoneAccuracy !== null && overall.zoneAccuracy >= 0.95,
      flapsPer10Min: overall.flapsPer10Min !== null && overall.flapsPer10Min < 1,
      dwellDelayS: atMost(overall.dwellDelayS, DWELL_GOAL_S),
      leaveDelayS: atMost(leaveDelayS, leaveTimeoutSeconds + 5),
      leaveDelayBackgroundS: atMost(leaveDelayBackgroundS, backgroundLeaveTimeoutSeconds + 5),
    },
    seed,
    assumptions: {
      spatialSigmaDb: radio.parameters.spatialSigmaDb,
      temporalSigmaDb: radio.parameters.temporalSigmaDb,
      backgroundGapsS: backgroundGaps.map((ms) => ms / 1000) as [number, number],
    },
    shoppers: count,
    simulatedHours: hours,
    zoneGraceS: ZONE_GRACE_S,
    flapSettleS: FLAP_SETTLE_S,
    leaveTimeoutS: leaveTimeoutSeconds,
    backgroundLeaveTimeoutS: backgroundLeaveTimeoutSeconds,
    byCarrier: Object.fromEntries(
      CARRIERS.map((c) => [c, { ...figures(byCarrier[c]), ...attainable(byCarrier[c]), shoppers: shoppers.filter((s) => s.carrier === c).length }]),
    ) as PresenceEvalReport['byCarrier'],
    byZone: Object.fromEntries([...total.byZone].map(([zone, [n, ok]]) => [zone, Number((ok / n).toFixed(4))])),
    counts: {
      zoneSamples: total.zoneSamples,
      standingMinutes: Math.round(total.standingMs / 60_000),
      flaps: total.flaps,
      lateCorrections: total.lateCorrections,
      posStays: total.dwellDelaysMs.length,
      silentPosStays: total.silentPosStays,
      missedDwells: total.missedDwells,
      falseLeaves: total.falseLeaves,
      missedLeaves: total.missedLeaves,
      sightings,
    },
  };
}
