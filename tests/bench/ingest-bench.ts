import { pino } from 'pino';
import { gaussian, randomAddress, randomBytes, seededRandom } from '../../adapters/simulator/random.js';
import { strangerAdvertisingData } from '../../adapters/simulator/strangers.js';
import { encodeAppleOverflow } from '../../gateway/ble/apple-overflow.js';
import { decodeAdvertisement, encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';
import type { CardFlow } from '../../gateway/cards/card-flow.js';
import { loadConfig } from '../../gateway/config/load.js';
import type { Config } from '../../gateway/config/schema.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { Resolver } from '../../gateway/identity/resolver.js';
import type { MemberIdentity, Roster } from '../../gateway/identity/roster.js';
import { createMetrics } from '../../gateway/metrics.js';
import { Pipeline } from '../../gateway/pipeline.js';
import type { Advertisement, AdvertisementSource, Clock, EventStore, StoredEventInput } from '../../gateway/ports.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import type { Benchmark } from './benchmark.js';

// Ingest throughput: what the radio delivers (raw advertising data from several
// receivers) through the real Pipeline — decode, resolve against 100,000 members,
// presence, metrics and the once-a-second sweep — on one core. The stream is 50 s of
// a busy store: 200 members present, each phone heard about once a second by each
// receiver, and 85% of the air other devices. Time is fake: `receivedAt` moves
// forward through the stream and the sweep runs whenever a second has passed.
//
// Card scoring and the event store are outside this benchmark: they see a moment a
// few times per visit, not every advert, and the store has its own benchmark. Both
// are stand-ins here that only count. The same run also times decoding alone on the
// same stream, the ratio being what compares across machines.

const MEMBERS = 100_000;
const PRESENT = 200;
/** Of the present members, iOS phones in the background: their address was resolved by a GATT read before the stream. */
const BACKGROUND_PRESENT = 20;
const STREAM = 200_000;
const SPAN_MS = 50_000;
const MEMBER_SHARE = 0.15;
const STRANGER_DEVICES = 3_000;
const ROUNDS = 9;
const RESOLVED = Promise.resolve();

interface PresentPhone {
  readonly member: MemberIdentity;
  readonly address: string;
  readonly data: Uint8Array;
  readonly arrivesAt: number;
  /** The receiver (index) the phone is closest to, before and after `movesAt`. */
  readonly near: readonly [number, number];
  readonly movesAt: number;
}

function identities(count: number, seed: number): MemberIdentity[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `m-${String(i).padStart(6, '0')}`,
    identityKey: randomBytes(random, 16),
    consent: { presence: true, personalisation: true, showName: true },
    holdout: false,
  }));
}

/** What else the radio hears: the simulator's strangers, our UUID with prefixes nobody has now, other iPhones' overflow areas, Eddystone-TLM. */
function strangerData(random: () => number, appUuid: string, overflowBit: number): Uint8Array {
  const roll = random();
  if (roll < 0.6) return strangerAdvertisingData(random);
  if (roll < 0.7) return encodeIBeacon(appUuid, Math.floor(random() * 65536), Math.floor(random() * 65536), -59);
  if (roll < 0.85) {
    const bits = [Math.floor(random() * 128), Math.floor(random() * 128)].filter((b) => b !== overflowBit);
    return encodeAppleOverflow(bits);
  }
  return Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0x03, 0xaa, 0xfe, 0x11, 0x16, 0xaa, 0xfe, 0x20, 0x00, 0x0b, 0xb8, 0x19, 0x80, ...randomBytes(random, 8)]);
}

/** The store's air for SPAN_MS from t0, in the order the receivers report it. */
function storeStream(config: Readonly<Config>, members: readonly MemberIdentity[], t0: number) {
  const random = seededRandom(11);
  const { appUuid, rotationExponent, ios } = config.identity;
  const receivers = config.receivers.map((r) => r.id);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const timeCounter = Math.floor(t0 / 1000);
  const phones: PresentPhone[] = Array.from({ length: PRESENT }, (_, i) => {
    const member = members[Math.floor(random() * members.length)]!;
    const eid = computeEid(member.identityKey, rotationExponent, timeCounter);
    const data =
      i < BACKGROUND_PRESENT
        ? encodeAppleOverflow([ios.overflowBit])
        : i % 2 === 0
          ? encodeEddystoneEid(eid, -4)
          : encodeIBeacon(appUuid, eid.readUInt16BE(0), eid.readUInt16BE(2), -59);
    const from = Math.floor(random() * receivers.length);
    const to = random() < 0.5 ? from : Math.floor(random() * receivers.length);
    return { member, address: randomAddress(random), data, arrivesAt: i % 4 === 0 ? t0 + random() * 10_000 : t0, near: [from, to], movesAt: t0 + random() * SPAN_MS };
  });
  const strangers = Array.from({ length: STRANGER_DEVICES }, () => ({ address: randomAddress(random), data: strangerData(random, appUuid, ios.overflowBit) }));
  const arrivals = [...phones].sort((a, b) => a.arrivesAt - b.arrivesAt);
  let arrived = 0;
  const ads: Advertisement[] = [];
  for (let i = 0; i < STREAM; i++) {
    const receivedAt = t0 + Math.floor((i * SPAN_MS) / STREAM);
    while (arrived < arrivals.length && arrivals[arrived]!.arrivesAt <= receivedAt) arrived++;
    const receiver = Math.floor(random() * receivers.length);
    // Each phone in the store is heard about as often; in the first seconds a quarter of them are still arriving.
    const phone = random() < MEMBER_SHARE * (arrived / PRESENT) ? arrivals[Math.floor(random() * arrived)] : undefined;
    if (phone !== undefined) {
      const near = receivedAt < phone.movesAt ? phone.near[0] : phone.near[1];
      const rssi = Math.round((receiver === near ? -58 : -80) + 5 * gaussian(random));
      ads.push({ receiverId: receivers[receiver]!, address: phone.address, addressType: 'random', rssi, data: phone.data, receivedAt });
      continue;
    }
    const stranger = pick(strangers);
    ads.push({ receiverId: receivers[receiver]!, address: stranger.address, addressType: 'random', rssi: Math.round(-75 + 10 * gaussian(random)), data: stranger.data, receivedAt });
  }
  return { ads, phones };
}

/** Counts what the pipeline would store; card scoring and storage are outside this benchmark. */
class CountingEventStore implements EventStore {
  readonly entered = new Set<string>();
  start = () => RESOLVED;
  stop = () => RESOLVED;
  append(event: StoredEventInput): void {
    if (event.type === 'entered-store' && event.memberId !== undefined) this.entered.add(event.memberId);
  }
  flush = () => 0;
  recentEvents = () => [];
  outboxDepth = () => 0;
  eraseMember = () => 0;
  isOpen = () => true;
  isWritable = () => true;
}

/** Frozen time, moved by the benchmark loop as the stream's `receivedAt` advances. */
class SteppedClock implements Clock {
  current = 0;
  now = () => this.current;
  setTimeout = () => () => undefined;
  setInterval = () => () => undefined;
}

const noSource: AdvertisementSource = { kind: 'replay', onAdvertisement: () => () => undefined, start: () => RESOLVED, stop: () => RESOLVED };
const noCards = { handle: () => RESOLVED, drain: () => RESOLVED } as unknown as CardFlow;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  async run() {
    const progress = (line: string) => process.stderr.write(`  ${line}\n`);
    const config = loadConfig({ env: {} }).config;
    const { appUuid, rotationExponent, ios } = config.identity;
    const periodSeconds = 2 ** rotationExponent;
    // A minute into a rotation period, so the 50 s stream stays inside it.
    const t0 = (Math.floor(Date.UTC(2026, 10, 23, 12, 0, 0) / 1000 / periodSeconds) * periodSeconds + 60) * 1000;
    const roster: Roster = { rotationExponent, members: identities(MEMBERS, 1) };
    const resolver = new Resolver(roster, appUuid.toLowerCase());
    resolver.resolveEid(new Uint8Array(8), t0); // builds the three periods' tables before timing
    const { ads, phones } = storeStream(config, roster.members, t0);
    const metrics = createMetrics({ mqttConnected: () => true, outboxDepth: () => 0 });
    const log = pino({ level: 'silent' });

    const pipelineFor = (clock: SteppedClock, store: EventStore) =>
      new Pipeline({ source: noSource, resolver, tracker: new PresenceTracker(config), cards: noCards, store, metrics, clock, log, overflowBit: ios.overflowBit, background: { offer: () => undefined } });

    // The background iPhones' EIDs were read over GATT before the stream: their addresses now stand for them.
    const setupClock = new SteppedClock();
    setupClock.current = t0;
    const setup = pipelineFor(setupClock, new CountingEventStore());
    for (const phone of phones.slice(0, BACKGROUND_PRESENT)) {
      const ad: Advertisement = { receiverId: config.receivers[0]!.id, address: phone.address, addressType: 'random', rssi: -60, data: phone.data, receivedAt: t0 };
      setup.ingestEid(ad, computeEid(phone.member.identityKey, rotationExponent, Math.floor(t0 / 1000)));
    }

    /** One pass of the stream through a fresh tracker; returns adverts per second. */
    const ingestRound = (check: boolean): number => {
      const clock = new SteppedClock();
      const store = new CountingEventStore();
      const pipeline = pipelineFor(clock, store);
      clock.current = t0;
      let nextSweep = t0 + 1000;
      const started = process.hrtime.bigint();
      for (const ad of ads) {
        if (ad.receivedAt >= nextSweep) {
          clock.current = nextSweep;
          pipeline.sweep();
          nextSweep += 1000;
        }
        clock.current = ad.receivedAt;
        pipeline.ingest(ad);
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A fast number from a pipeline that recognised nobody would mean nothing.
      if (check && store.entered.size !== new Set(phones.map((p) => p.member.id)).size) {
        throw new Error(`only ${store.entered.size} of ${PRESENT} present members entered the store`);
      }
      return ads.length / seconds;
    };

    const decodeRound = (): number => {
      let sink = 0;
      const started = process.hrtime.bigint();
      for (const ad of ads) if (decodeAdvertisement(ad.data) !== undefined) sink++;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (sink < 0) throw new Error('unreachable');
      return ads.length / seconds;
    };

    ingestRound(true); // warm-up and JIT, and the check that members are recognised
    decodeRound();
    const ingest: number[] = [];
    const decode: number[] = [];
    // Interleaved, so that both see the same machine state.
    for (let round = 0; round < ROUNDS; round++) {
      ingest.push(ingestRound(round === 0));
      decode.push(decodeRound());
    }
    const advertsPerSec = median(ingest);
    const decodeOnlyPerSec = median(decode);
    const k = (n: number) => `${Math.round(n / 1000)}k`;
    progress(`stream: ${ads.length} adverts over ${SPAN_MS / 1000} s, ${config.receivers.length} receivers, ${PRESENT} of ${MEMBERS} members present`);
    progress(`ingest (decode, resolve, presence, metrics, sweeps), median of ${ROUNDS}: ${k(advertsPerSec)} adverts/s (rounds: ${ingest.map(k).join(', ')})`);
    progress(`decode only, median of ${ROUNDS}: ${k(decodeOnlyPerSec)} adverts/s`);
    const outcomes = (await metrics.advertisements.get()).values;
    const total = outcomes.reduce((sum, v) => sum + v.value, 0);
    progress(`outcomes: ${outcomes.map((v) => `${String(v.labels.result)} ${((100 * v.value) / total).toFixed(1)}%`).join(', ')}`);
    return {
      advertsPerSec: Math.round(advertsPerSec),
      advertsPerSecBest: Math.round(Math.max(...ingest)),
      decodeOnlyPerSec: Math.round(decodeOnlyPerSec),
      ratioToDecodeOnly: Math.round((advertsPerSec / decodeOnlyPerSec) * 100) / 100,
      members: MEMBERS,
      membersPresent: PRESENT,
    };
  },
};
