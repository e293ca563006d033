import { Type, type Static } from '@sinclair/typebox';

// The profile card as POS terminals and advisor tablets receive it. Versioned: a
// breaking change gets a new `schema` value and a new file, never an edit of v1.
// gateway/contracts/schemas/ holds it as JSON Schema for integrators.

const Suggestion = Type.Object(
  {
    id: Type.String({ description: 'Feedback refers to it as suggestionId.' }),
    sku: Type.String(),
    title: Type.String(),
    price: Type.Number(),
    previousPrice: Type.Optional(Type.Number({ description: 'Set when the price is down from this.' })),
    kind: Type.Union([Type.Literal('cart'), Type.Literal('wishlist'), Type.Literal('complement')], { description: 'Where the suggestion comes from.' }),
    reason: Type.Union([Type.Literal('in-cart'), Type.Literal('price-drop'), Type.Literal('wishlist'), Type.Literal('complement')], {
      description: 'The main reason, as a code a till can translate.',
    }),
    reasonText: Type.String({ description: 'The reason in words, English: "in the cart; price down from 3,499 to 2,899; in stock, aisle 4 (41, 42, 43)".' }),
    location: Type.Optional(Type.String({ description: 'Where it is in this store.' })),
    sizes: Type.Optional(Type.Array(Type.String(), { description: 'Sizes on hand here.' })),
    score: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "The model's probability that the member buys it on this visit." })),
  },
  { additionalProperties: false },
);

const Offer = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    code: Type.String(),
    validUntil: Type.String({ format: 'date-time' }),
    reasonText: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const CardV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.card/1'),
    type: Type.Literal('card'),
    cardId: Type.String({ description: 'Unique per card; feedback refers to it.' }),
    storeId: Type.String(),
    memberId: Type.String({ description: 'Pseudonymous member id.' }),
    firstName: Type.Optional(Type.String({ description: 'Only when the member consented to be greeted by name.' })),
    tier: Type.Union([Type.Literal('none'), Type.Literal('silver'), Type.Literal('gold'), Type.Literal('platinum')]),
    segments: Type.Array(Type.String()),
    presence: Type.Object(
      {
        zoneId: Type.String(),
        zoneName: Type.String(),
        since: Type.String({ format: 'date-time' }),
        dwellSeconds: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    propensity: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Absent without personalisation consent.' })),
    suggestions: Type.Array(Suggestion, { maxItems: 3 }),
    offers: Type.Array(Offer),
    serviceCase: Type.Optional(Type.String()),
    model: Type.Optional(Type.Object({ id: Type.String(), version: Type.String() }, { additionalProperties: false })),
    issuedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/card.v1.json' },
);

export type Card = Static<typeof CardV1>;

export const WithdrawnV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.card/1'),
    type: Type.Literal('withdrawn'),
    cardId: Type.String(),
    memberId: Type.String(),
    reason: Type.Union([Type.Literal('left'), Type.Literal('erased'), Type.Literal('expired')]),
    at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/card-withdrawn.v1.json' },
);

export type Withdrawn = Static<typeof WithdrawnV1>;
