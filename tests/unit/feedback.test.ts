import { describe, expect, it } from 'vitest';
import { FeedbackIntake } from '../../gateway/cards/feedback-intake.js';
import { RecentCards } from '../../gateway/cards/recent-cards.js';
import type { Card } from '../../gateway/contracts/card.js';
import { FeedbackErrorV1 } from '../../gateway/contracts/feedback.js';
import { contractChecker } from '../../gateway/contracts/validator.js';
import { pino } from 'pino';
import { coreHarness } from '../support/core-harness.js';

// Feedback from tills: checked, matched to a card that till was shown, stored joined to
// the recommendation, fed to the decision policy; anything wrong answered on the
// till's errors topic.

async function setup() {
  const h = coreHarness();
  const member = h.roster.members[0]!;
  const recent = new RecentCards();
  const purchases: string[] = [];
  const dismissals: string[] = [];
  const intake = new FeedbackIntake({
    bus: h.bus,
    topics: h.topics,
    recent,
    store: h.store,
    clock: h.clock,
    log: pino({ level: 'silent' }),
    onPurchase: (id) => purchases.push(id),
    onDismiss: (id) => dismissals.push(id),
  });
  await h.bus.start();
  await intake.start();
  const at = h.clock.now();
  await h.cards.handle({ kind: 'dwelling', memberId: member.id, zoneId: 'pos-1', since: at - 6000, at });
  const card = h.bus.on(h.topics.cards('till-1'))[0] as Card;
  recent.add(card, ['till-1'], at);
  const send = (terminal: string, payload: unknown) => h.bus.deliver(h.topics.feedback(terminal), typeof payload === 'string' ? payload : JSON.stringify(payload));
  const errors = (terminal: string) => h.bus.on(h.topics.errors(terminal)) as { code: string; problems?: string[] }[];
  return { h, member, card, send, errors, purchases, dismissals };
}

describe('POS feedback', () => {
  it('stores an accepted suggestion joined to its card, score and model', async () => {
    const { h, member, card, send, errors } = await setup();
    const suggestion = card.suggestions[0]!;
    send('till-1', { cardId: card.cardId, suggestionId: suggestion.id, action: 'accepted' });
    h.store.flush();
    expect(errors('till-1')).toEqual([]);
    const stored = h.store.events.find((e) => e.type === 'feedback');
    expect(stored).toMatchObject({ memberId: member.id, payload: { cardId: card.cardId, action: 'accepted', source: 'pos', sourceId: 'till-1', suggestionId: suggestion.id, sku: suggestion.sku } });
  });

  it('closes the visit on a purchase and records which suggestions the basket holds', async () => {
    const { h, member, card, send, purchases } = await setup();
    const sku = card.suggestions[0]!.sku;
    send('till-1', { cardId: card.cardId, action: 'purchased', basket: { total: 3100, currency: 'TRY', items: [{ sku, quantity: 1 }, { sku: 'XX-1', quantity: 2 }] } });
    h.store.flush();
    expect(purchases).toEqual([member.id]);
    expect(h.store.events.find((e) => e.type === 'feedback')?.payload).toMatchObject({ action: 'purchased', suggestedSkusBought: [sku] });
  });

  it('counts a dismissal for suppression', async () => {
    const { card, send, dismissals, member } = await setup();
    send('till-1', { cardId: card.cardId, action: 'dismissed', reason: 'not today' });
    expect(dismissals).toEqual([member.id]);
  });

  it('answers bad feedback on the till\'s errors topic with a code, and stores nothing', async () => {
    const { h, card, send, errors } = await setup();
    send('till-1', 'not json');
    send('till-1', { cardId: card.cardId, action: 'liked' });
    send('till-1', { cardId: card.cardId, suggestionId: 'sg-nothing', action: 'accepted' });
    send('till-1', { cardId: 'no-such-card', action: 'shown' });
    const answers = errors('till-1');
    expect(answers.map((e) => e.code)).toEqual(['VITRIN_ERR_FEEDBACK_INVALID', 'VITRIN_ERR_FEEDBACK_INVALID', 'VITRIN_ERR_FEEDBACK_UNKNOWN_CARD', 'VITRIN_ERR_FEEDBACK_UNKNOWN_CARD']);
    expect(answers[1]!.problems?.join(' ')).toContain('/action');
    for (const answer of answers) expect(contractChecker(FeedbackErrorV1)(answer)).toEqual([]);
    h.store.flush();
    expect(h.store.events.filter((e) => e.type === 'feedback')).toEqual([]);
  });

  it("refuses feedback about another till's card, the same way as about no card", async () => {
    const { h, card, send, errors } = await setup();
    send('till-2', { cardId: card.cardId, action: 'purchased' });
    expect(errors('till-2').map((e) => e.code)).toEqual(['VITRIN_ERR_FEEDBACK_UNKNOWN_CARD']);
    h.store.flush();
    expect(h.store.events.filter((e) => e.type === 'feedback')).toEqual([]);
  });

  it('survives a flood of random payloads without throwing', async () => {
    const { send, errors } = await setup();
    for (let i = 0; i < 2000; i++) send('till-1', Buffer.from(Array.from({ length: i % 97 }, (_, j) => (i * 31 + j * 7) % 256)));
    expect(errors('till-1')).toHaveLength(2000);
  });
});
