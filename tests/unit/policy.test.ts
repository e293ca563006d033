import { describe, expect, it } from 'vitest';
import type { Config } from '../../gateway/config/schema.js';
import { CardPolicy } from '../../gateway/decide/policy.js';
import type { MemberIdentity } from '../../gateway/identity/roster.js';
import { testConfig } from '../support/test-config.js';

const base = testConfig();
const member: MemberIdentity = { id: 'm-1', identityKey: new Uint8Array(16), consent: { presence: true, personalisation: true, showName: true }, holdout: false };
const till = { id: 'pos-1', kind: 'pos' as const };
const floor = { id: 'floor', kind: 'floor' as const };
// Monday 23 November 2026, 12:00 in Istanbul (UTC+3).
const NOON = Date.UTC(2026, 10, 23, 9, 0, 0);
const MIN = 60_000;

function policy(cards: Partial<Config['cards']> = {}) {
  return new CardPolicy({ store: base.store, cards: { ...base.cards, ...cards } });
}

describe('card decisions', () => {
  it('cools down per zone, with a kind-specific cooldown where configured', () => {
    const p = policy({ cooldownSeconds: 900, cooldownByKind: { pos: 60 } });
    p.record(member.id, 'pos-1', NOON);
    p.record(member.id, 'floor', NOON);
    expect(p.decide(member, till, NOON + 59_000)).toEqual({ action: 'skip', reason: 'cooldown' });
    expect(p.decide(member, till, NOON + 60_000)).toEqual({ action: 'show' });
    expect(p.decide(member, floor, NOON + 10 * MIN)).toEqual({ action: 'skip', reason: 'cooldown' });
  });

  it('caps cards per member per store day, held-out decisions included, and starts over the next day', () => {
    const p = policy({ dailyCap: 2, cooldownSeconds: 0 });
    p.record(member.id, 'pos-1', NOON);
    p.record(member.id, 'floor', NOON + MIN);
    expect(p.decide(member, till, NOON + 2 * MIN)).toEqual({ action: 'skip', reason: 'daily-cap' });
    // 00:30 local the next day.
    expect(p.decide(member, till, Date.UTC(2026, 10, 23, 21, 30))).toEqual({ action: 'show' });
  });

  it('shows nothing more on a visit after a purchase, until the next visit', () => {
    const p = policy();
    p.purchased(member.id);
    expect(p.decide(member, till, NOON)).toEqual({ action: 'skip', reason: 'paid' });
    p.visitStarted(member.id);
    expect(p.decide(member, till, NOON)).toEqual({ action: 'show' });
  });

  it('stops for the day after the member dismissed cards twice', () => {
    const p = policy({ dismissalsToSuppress: 2 });
    p.dismissed(member.id, NOON);
    expect(p.decide(member, till, NOON)).toEqual({ action: 'show' });
    p.dismissed(member.id, NOON + MIN);
    expect(p.decide(member, till, NOON + 2 * MIN)).toEqual({ action: 'skip', reason: 'dismissed' });
  });

  it('never shows a card to a member erased here lately, even if the roster brings them back', () => {
    const p = policy({ erasedSuppressHours: 24 });
    p.erased(member.id, NOON);
    expect(p.decide(member, till, NOON + 23 * 60 * MIN)).toEqual({ action: 'skip', reason: 'erased' });
    expect(p.decide(member, till, NOON + 24 * 60 * MIN)).toEqual({ action: 'show' });
  });

  it('keeps quiet at the configured local times, days and zones, across midnight too', () => {
    const p = policy({
      quiet: [
        { from: '11:45', to: '12:15', zones: ['pos-1'] },
        { from: '23:30', to: '00:30', days: [0] },
      ],
    });
    expect(p.decide(member, till, NOON)).toEqual({ action: 'skip', reason: 'quiet' });
    expect(p.decide(member, floor, NOON)).toEqual({ action: 'show' });
    expect(p.decide(member, till, NOON + 15 * MIN)).toEqual({ action: 'show' });
    // Monday 23:45 and Tuesday 00:15 belong to Monday's rule; Tuesday 23:45 does not.
    expect(p.decide(member, floor, Date.UTC(2026, 10, 23, 20, 45))).toEqual({ action: 'skip', reason: 'quiet' });
    expect(p.decide(member, floor, Date.UTC(2026, 10, 23, 21, 15))).toEqual({ action: 'skip', reason: 'quiet' });
    expect(p.decide(member, floor, Date.UTC(2026, 10, 24, 20, 45))).toEqual({ action: 'show' });
  });

  it('holds out the holdout group after every other rule, so both groups see the same cadence', () => {
    const p = policy();
    const heldOut = { ...member, holdout: true };
    expect(p.decide(heldOut, till, NOON)).toEqual({ action: 'hold-out' });
    p.record(heldOut.id, 'pos-1', NOON);
    expect(p.decide(heldOut, till, NOON + MIN)).toEqual({ action: 'skip', reason: 'cooldown' });
  });

  it('forgets what no longer matters', () => {
    const p = policy({ cooldownSeconds: 60 });
    p.record(member.id, 'pos-1', NOON);
    p.prune(NOON + 2 * MIN);
    expect(p.decide(member, till, NOON + 2 * MIN)).toEqual({ action: 'show' });
  });
});
