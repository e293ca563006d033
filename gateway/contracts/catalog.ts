import { Type, type Static } from '@sinclair/typebox';

// The store's catalog, stock and offers: what a card may suggest here. Until cloud
// sync delivers it as a signed package, it is read from <data.dir>/catalog.json.

export const CatalogItemV1 = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    category: Type.String({ maxLength: 64 }),
    price: Type.Number({ minimum: 0 }),
    /** The price before the current markdown, when there is one. */
    previousPrice: Type.Optional(Type.Number({ minimum: 0 })),
    /** SKUs that go with this one (a belt with the jeans). */
    complements: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

export const StockEntryV1 = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    quantity: Type.Integer({ minimum: 0 }),
    /** Where it is in this store, as staff say it: "aisle 4", "back wall". */
    location: Type.Optional(Type.String({ maxLength: 64 })),
    /** Sizes on hand, when the item has sizes. */
    sizes: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 40 })),
  },
  { additionalProperties: false },
);

export const CatalogOfferV1 = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    title: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.String({ maxLength: 64 }),
    validUntil: Type.String({ format: 'date-time' }),
    /** The categories it applies to; absent: the whole store. */
    categories: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const CatalogV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.catalog/1'),
    items: Type.Array(CatalogItemV1, { maxItems: 200_000 }),
    stock: Type.Array(StockEntryV1, { maxItems: 200_000 }),
    offers: Type.Array(CatalogOfferV1, { maxItems: 500 }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/catalog.v1.json' },
);

export type CatalogItem = Static<typeof CatalogItemV1>;
export type StockEntry = Static<typeof StockEntryV1>;
export type CatalogOffer = Static<typeof CatalogOfferV1>;
export type CatalogFile = Static<typeof CatalogV1>;
