import { Type, type Static } from '@sinclair/typebox';

// The profile card as POS terminals and advisor tablets receive it. Versioned: a
// breaking change gets a new `schema` value and a new file, never an edit of v1.
// gateway/contracts/schemas/ holds it as JSON Schema for integrators.

const Suggestion = Type.Object(
  {
    id: Type.String(),
    sku: Type.String(),
    title: Type.String(),
    price: Type.Number(),
    previousPrice: Type.Optional(Type.Number()),
    reason: Type.Union([Type.Literal('in-cart'), Type.Literal('price-drop'), Type.Literal('wishlist')]),
  },
  { additionalProperties: false },
);

const Offer = Type.Object(
  { id: Type.String(), title: Type.String(), code: Type.String(), validUntil: Type.String({ format: 'date-time' }) },
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
