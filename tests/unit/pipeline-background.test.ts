import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeAppleOverflow } from '../../gateway/ble/apple-overflow.js';
import { encodeEddystoneEid } from '../../gateway/ble/decode.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { Resolver } from '../../gateway/identity/resolver.js';
import { createMetrics } from '../../gateway/metrics.js';
import { Pipeline } from '../../gateway/pipeline.js';
import type { Advertisement, AdvertisementSource } from '../../gateway/ports.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import type { CardFlow } from '../../gateway/cards/card-flow.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { MemoryEventStore } from '../fakes/memory-event-store.js';
import { testConfig } from '../support/test-config.js';

// iOS in the background: the advert carries only our bit in Apple's overflow area.
// The pipeline hands the first one to the GATT reader; once the read EID resolves,
// the address stands for the member until the period turns.

const BIT = 44;
const config = testConfig();
const roster = demoRoster(42, 2, 10);
const member = roster.members[0]!;

function harness() {
  const clock = new FakeClock();
  const offered: Advertisement[] = [];
  const metrics = createMetrics({ mqttConnected: () => true, outboxDepth: () => 0 });
  const source: AdvertisementSource = { kind: 'ble', onAdvertisement: () => () => undefined, start: () => Promise.resolve(), stop: () => Promise.resolve() };
  const store = new MemoryEventStore();
  const resolver = new Resolver(roster, config.identity.appUuid);
  const pipeline = new Pipeline({
    source,
    resolver,
    tracker: new PresenceTracker(config),
    cards: { handle: () => Promise.resolve(), drain: () => Promise.resolve() } as unknown as CardFlow,
    store,
    metrics,
    clock,
    log: pino({ level: 'silent' }),
    overflowBit: BIT,
    background: { offer: (ad) => offered.push(ad) },
  });
  const ad = (data: Uint8Array, address = 'aa:bb:cc:00:00:01'): Advertisement => ({ receiverId: 'rx-floor', address, addressType: 'random', rssi: -60, data, receivedAt: clock.now() });
  return { clock, offered, metrics, store, resolver, pipeline, ad };
}

async function results(h: ReturnType<typeof harness>): Promise<Record<string, number>> {
  const metric = await h.metrics.advertisements.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.result), v.value]));
}

describe('the iOS background path in the pipeline', () => {
  it('offers an advert with our bit to the GATT reader, and only that', async () => {
    const h = harness();
    h.pipeline.ingest(h.ad(encodeAppleOverflow([BIT, 3])));
    h.pipeline.ingest(h.ad(encodeAppleOverflow([3, 90]), 'aa:bb:cc:00:00:02'));
    expect(h.offered.map((a) => a.address)).toEqual(['aa:bb:cc:00:00:01']);
    expect(await results(h)).toEqual({ background: 1, other: 1 });
  });

  it("recognises the member from the EID read, then by the address for the rest of the period", async () => {
    const h = harness();
    const first = h.ad(encodeAppleOverflow([BIT]));
    h.pipeline.ingest(first);
    h.pipeline.ingestEid(first, computeEid(member.identityKey, 10, Math.floor(h.clock.now() / 1000)));
    h.pipeline.ingest(h.ad(encodeAppleOverflow([BIT])));
    expect(h.offered).toHaveLength(1);
    expect(await results(h)).toEqual({ background: 1, member: 2 });
    h.store.flush();
    expect(h.store.events.map((e) => [e.type, e.memberId])).toContainEqual(['entered-store', member.id]);
    // The period turns: the phone has a new address and EID; the old address means nothing.
    h.clock.advance(1024_000);
    h.pipeline.ingest(h.ad(encodeAppleOverflow([BIT])));
    expect(h.offered).toHaveLength(2);
  });

  it('drops an EID read from a device that is nobody here, and forgets an erased member at once', async () => {
    const h = harness();
    const ad = h.ad(encodeAppleOverflow([BIT]));
    h.pipeline.ingestEid(ad, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(await results(h)).toEqual({ stranger: 1 });
    h.pipeline.ingest(h.ad(encodeEddystoneEid(computeEid(member.identityKey, 10, Math.floor(h.clock.now() / 1000)), -4)));
    h.resolver.erase(member.id);
    h.pipeline.ingest(h.ad(encodeAppleOverflow([BIT])));
    expect(h.offered).toHaveLength(1);
  });
});
