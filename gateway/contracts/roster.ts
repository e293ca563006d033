import { Type, type Static } from '@sinclair/typebox';

// The roster file `vitrin roster import` reads (and, later, what the cloud's roster
// packages carry): members who opted in, with their identity keys. Everything in it
// is personal data; the gateway keeps it encrypted at rest.

const Item = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    category: Type.String({ maxLength: 64 }),
    price: Type.Number({ minimum: 0 }),
    previousPrice: Type.Optional(Type.Number({ minimum: 0 })),
    inStockHere: Type.Boolean(),
  },
  { additionalProperties: false },
);

const Offer = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.String({ maxLength: 64 }),
    validUntil: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const RosterMemberV1 = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$', description: 'Pseudonymous member id shared with the cloud.' }),
    identityKey: Type.String({ pattern: '^[0-9a-fA-F]{32}$', description: 'The 16-byte identity key, hex.' }),
    consent: Type.Object(
      { presence: Type.Boolean(), personalisation: Type.Boolean(), showName: Type.Boolean() },
      { additionalProperties: false },
    ),
    holdout: Type.Boolean(),
    profile: Type.Object(
      {
        firstName: Type.String({ maxLength: 64 }),
        tier: Type.Union([Type.Literal('none'), Type.Literal('silver'), Type.Literal('gold'), Type.Literal('platinum')]),
        segments: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 }),
        recencyDays: Type.Number({ minimum: 0 }),
        frequency90d: Type.Number({ minimum: 0 }),
        monetary90d: Type.Number({ minimum: 0 }),
        appSessions7d: Type.Number({ minimum: 0 }),
        visitsThisWeek: Type.Number({ minimum: 0 }),
        cart: Type.Array(Item, { maxItems: 100 }),
        wishlist: Type.Array(Item, { maxItems: 100 }),
        offers: Type.Array(Offer, { maxItems: 20 }),
        openServiceCase: Type.Optional(Type.String({ maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const RosterFileV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.roster/1'),
    rotationExponent: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: "The members' EID rotation exponent K; default: identity.rotationExponent." })),
    members: Type.Array(RosterMemberV1, { maxItems: 1_000_000 }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/roster.v1.json' },
);

export type RosterMemberRecord = Static<typeof RosterMemberV1>;
export type RosterFile = Static<typeof RosterFileV1>;
