import { describe, expect, it } from 'vitest';
import { CardV1, WithdrawnV1, type Card } from '../../gateway/contracts/card.js';
import { PresentV1 } from '../../gateway/contracts/gateway.js';
import { contractChecker } from '../../gateway/contracts/validator.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import type { Member } from '../../gateway/identity/roster.js';
import { coreHarness } from '../support/core-harness.js';

const checkCard = contractChecker(CardV1);
const checkWithdrawn = contractChecker(WithdrawnV1);
const base = demoRoster(42, 1, 10).members[0]!;

function member(overrides: Partial<Member>): Member {
  return { ...base, ...overrides };
}

async function dwellAtTill(h: ReturnType<typeof coreHarness>, memberId: string): Promise<void> {
  const at = h.clock.now();
  await h.cards.handle({ kind: 'dwelling', memberId, zoneId: 'pos-1', since: at - 6000, at });
}

function harnessWith(m: Member) {
  return coreHarness({ roster: { rotationExponent: 10, members: [m] } });
}

describe('card flow', () => {
  it('publishes a card that matches the v1 schema to the terminals of the zone', async () => {
    const h = harnessWith(base);
    await dwellAtTill(h, base.id);
    const [card] = h.bus.on(h.topics.cards('till-1'));
    expect(checkCard(card)).toEqual([]);
    expect(card).toMatchObject({ memberId: base.id, presence: { zoneId: 'pos-1', dwellSeconds: 6 } });
    const present = JSON.parse(h.bus.retained.get(h.topics.present('till-1'))!);
    expect(contractChecker(PresentV1)(present)).toEqual([]);
    expect(present.members).toEqual([expect.objectContaining({ memberId: base.id })]);
    expect(h.scorer.batches).toHaveLength(1);
  });

  it('greets by name only with showName consent', async () => {
    const h = harnessWith(member({ consent: { presence: true, personalisation: true, showName: false } }));
    await dwellAtTill(h, base.id);
    const [card] = h.bus.on(h.topics.cards('till-1')) as Card[];
    expect(card!.firstName).toBeUndefined();
    expect(JSON.stringify(h.bus.published)).not.toContain(base.profile.firstName);
  });

  it('without personalisation consent: no score, no suggestions, no segments', async () => {
    const h = harnessWith(member({ consent: { presence: true, personalisation: false, showName: true } }));
    await dwellAtTill(h, base.id);
    const [card] = h.bus.on(h.topics.cards('till-1')) as Card[];
    expect(card).toMatchObject({ suggestions: [], segments: [], offers: [] });
    expect(card!.propensity).toBeUndefined();
    expect(h.scorer.batches).toHaveLength(0);
  });

  it('never shows a card to the holdout group but records the decision', async () => {
    const h = harnessWith(member({ holdout: true }));
    await dwellAtTill(h, base.id);
    expect(h.bus.on(h.topics.cards('till-1'))).toEqual([]);
    expect(h.live.current()).toEqual([]);
    h.store.flush();
    expect(h.store.events.map((e) => e.type)).toEqual(['card-held-out']);
    expect(h.store.events[0]!.payload).toMatchObject({ zoneId: 'pos-1', propensity: expect.any(Number) });
  });

  it('respects the cooldown per zone', async () => {
    const h = harnessWith(base);
    await dwellAtTill(h, base.id);
    h.clock.advance(60_000);
    await dwellAtTill(h, base.id);
    expect(h.bus.on(h.topics.cards('till-1'))).toHaveLength(1);
    h.clock.advance(900_000);
    await dwellAtTill(h, base.id);
    expect(h.bus.on(h.topics.cards('till-1'))).toHaveLength(2);
  });

  it('withdraws the card when the member leaves and empties the retained present list', async () => {
    const h = harnessWith(base);
    await dwellAtTill(h, base.id);
    await h.cards.handle({ kind: 'left', memberId: base.id, lastZoneId: 'pos-1', at: h.clock.now() });
    const [card, withdrawn] = h.bus.on(h.topics.cards('till-1')) as [Card, unknown];
    expect(checkWithdrawn(withdrawn)).toEqual([]);
    expect(checkCard(withdrawn)).not.toEqual([]);
    expect(withdrawn).toMatchObject({ type: 'withdrawn', cardId: card.cardId, reason: 'left' });
    expect(JSON.parse(h.bus.retained.get(h.topics.present('till-1'))!)).toEqual({ schema: 'vitrin.present/1', terminalId: 'till-1', members: [] });
    expect(h.live.current()).toEqual([]);
  });

  it('keeps per-member order: a leave queued behind a slow score wins', async () => {
    const h = harnessWith(base);
    const at = h.clock.now();
    const shown = h.cards.handle({ kind: 'dwelling', memberId: base.id, zoneId: 'pos-1', since: at - 6000, at });
    const left = h.cards.handle({ kind: 'left', memberId: base.id, lastZoneId: 'pos-1', at });
    await Promise.all([shown, left]);
    expect(h.live.current()).toEqual([]);
    expect((h.bus.on(h.topics.cards('till-1')) as { type: string }[]).map((m) => m.type)).toEqual(['card', 'withdrawn']);
  });
});

describe('after a reconnect', () => {
  it('republishes the cards still valid, with what is left of their lifetime, and not the expired ones', async () => {
    const h = coreHarness({ roster: { rotationExponent: 10, members: [base] } });
    h.pos.republishOnReconnect(() => undefined, () => h.clock.now());
    await dwellAtTill(h, base.id);
    const cardsTopic = h.topics.cards('till-1');
    const before = h.bus.published.filter((p) => p.topic === cardsTopic).length;
    h.clock.advance(100_000);
    h.bus.setConnected(false);
    h.bus.setConnected(true);
    await new Promise((r) => setTimeout(r, 0));
    const again = h.bus.published.filter((p) => p.topic === cardsTopic).slice(before);
    expect(again).toHaveLength(1);
    expect(again[0]!.options.messageExpirySeconds).toBe(200);
    h.clock.advance(300_000);
    h.bus.setConnected(false);
    h.bus.setConnected(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(h.bus.published.filter((p) => p.topic === cardsTopic).slice(before)).toHaveLength(1);
  });
});
