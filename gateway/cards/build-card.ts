import { randomUUID } from 'node:crypto';
import type { Card } from '../contracts/card.js';
import type { Member } from '../identity/roster.js';
import type { ModelIdentity } from '../ports.js';
import type { CardOffer, Suggestion } from './suggestions.js';

export interface CardInput {
  readonly storeId: string;
  readonly member: Member;
  readonly zone: { readonly id: string; readonly name: string };
  readonly zoneSince: number;
  readonly at: number;
  readonly ttlSeconds: number;
  /** Undefined when the member did not consent to personalisation. */
  readonly propensity: number | undefined;
  /** Ranked for this visit; ignored without personalisation consent. */
  readonly suggestions: readonly Suggestion[];
  readonly offers: readonly CardOffer[];
  readonly model: ModelIdentity | undefined;
}

/** The card for one member at one moment; consent decides what it may say. */
export function buildCard(input: CardInput): Card {
  const { member, at } = input;
  const { profile, consent } = member;
  const personalised = consent.personalisation && input.propensity !== undefined;
  return {
    schema: 'vitrin.card/1',
    type: 'card',
    cardId: randomUUID(),
    storeId: input.storeId,
    memberId: member.id,
    ...(consent.showName ? { firstName: profile.firstName } : {}),
    tier: profile.tier,
    segments: consent.personalisation ? [...profile.segments] : [],
    presence: {
      zoneId: input.zone.id,
      zoneName: input.zone.name,
      since: new Date(input.zoneSince).toISOString(),
      dwellSeconds: Math.max(0, Math.round((at - input.zoneSince) / 1000)),
    },
    ...(personalised ? { propensity: Math.round(input.propensity * 1000) / 1000 } : {}),
    suggestions: consent.personalisation ? [...input.suggestions] : [],
    offers: consent.personalisation ? [...input.offers] : [],
    ...(profile.openServiceCase === undefined ? {} : { serviceCase: profile.openServiceCase }),
    ...(personalised && input.model !== undefined ? { model: { id: input.model.id, version: input.model.version } } : {}),
    issuedAt: new Date(at).toISOString(),
    expiresAt: new Date(at + input.ttlSeconds * 1000).toISOString(),
  };
}
