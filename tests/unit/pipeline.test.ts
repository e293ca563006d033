import { describe, expect, it } from 'vitest';
import type { Card, Withdrawn } from '../../gateway/contracts/card.js';
import { coreHarness } from '../support/core-harness.js';

async function runFor(h: ReturnType<typeof coreHarness>, seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    h.clock.advance(1000);
    await h.cards.drain();
  }
}

describe('pipeline on the simulated store', () => {
  it('puts a card for a simulated member on the till topic within 60 s, then withdraws it when they leave', async () => {
    const h = coreHarness();
    await h.pipeline.start();
    await h.source.start();
    await runFor(h, 60);
    const tillCards = h.bus.on(h.topics.cards('till-1')) as (Card | Withdrawn)[];
    const first = tillCards.find((c): c is Card => c.type === 'card');
    expect(first).toBeDefined();
    expect(first!.presence.zoneId).toBe('pos-1');
    expect(first!.memberId).toBe(h.roster.members[0]!.id);
    expect(first!.firstName).toBe(h.roster.members[0]!.profile.firstName);
    expect(first!.propensity).toBeGreaterThan(0);
    expect(h.live.current().map((c) => c.cardId)).toContain(first!.cardId);
    const publishedCard = h.bus.published.find((p) => p.topic === h.topics.cards('till-1'));
    expect(publishedCard?.options).toMatchObject({ qos: 1, contentType: 'application/json', messageExpirySeconds: 300 });
    expect(JSON.parse(h.bus.retained.get(h.topics.present('till-1'))!)).toMatchObject({
      terminalId: 'till-1',
      members: expect.arrayContaining([expect.objectContaining({ cardId: first!.cardId })]),
    });

    await runFor(h, 120);
    const withdrawn = (h.bus.on(h.topics.cards('till-1')) as (Card | Withdrawn)[]).find(
      (c): c is Withdrawn => c.type === 'withdrawn' && c.cardId === first!.cardId,
    );
    expect(withdrawn?.reason).toBe('left');
    expect(h.live.cardFor(first!.memberId)?.cardId).not.toBe(first!.cardId);
    await h.source.stop();
    await h.pipeline.stop();
  });

  it('leaves no trace of non-members: no stored event, no message, only counters', async () => {
    const h = coreHarness();
    await h.pipeline.start();
    await h.source.start();
    const addresses = new Set<string>();
    h.source.onAdvertisement((ad) => addresses.add(ad.address));
    await runFor(h, 90);
    await h.pipeline.stop();
    h.store.flush();
    const memberIds = new Set(h.roster.members.map((m) => m.id));
    expect(h.store.events.length).toBeGreaterThan(0);
    for (const event of h.store.events) expect(memberIds.has(event.memberId!)).toBe(true);
    const everything = JSON.stringify([h.store.events, h.bus.published]);
    for (const address of addresses) expect(everything).not.toContain(address);
    const counts = await h.metrics.advertisements.get();
    const byResult = Object.fromEntries(counts.values.map((v) => [v.labels.result, v.value]));
    expect(byResult.stranger).toBeGreaterThan(0);
    expect(byResult.other).toBeGreaterThan(0);
    expect(byResult.member).toBeGreaterThan(0);
  });

  it('records moments as events for each member transition', async () => {
    const h = coreHarness();
    await h.pipeline.start();
    await h.source.start();
    await runFor(h, 60);
    await h.pipeline.stop();
    h.store.flush();
    const first = h.roster.members[0]!.id;
    const types = h.store.events.filter((e) => e.memberId === first).map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['entered-store', 'entered-zone']);
    expect(types).toContain('dwelling');
    expect(types).toContain('card-shown');
  });
});
