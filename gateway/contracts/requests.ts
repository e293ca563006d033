import { Type, type Static } from '@sinclair/typebox';

// gateway/request/<op> and gateway/response/<op>: a caller publishes a request with
// its own transaction id and gets the answer on the response topic with the same id.

const Transaction = Type.String({ minLength: 1, maxLength: 64, description: "The caller's id for this exchange, echoed in the response." });

export const EraseRequestV1 = Type.Object(
  {
    transaction: Transaction,
    memberId: Type.String({ minLength: 1, maxLength: 64, description: 'Pseudonymous id of the member who withdrew consent.' }),
    requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The withdrawal's id at the requester (the cloud, a store system); carried in the receipt." })),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/request-erase.v1.json' },
);

export type EraseRequest = Static<typeof EraseRequestV1>;

/** present, health and reload take nothing but the transaction id. */
export const PlainRequestV1 = Type.Object({ transaction: Transaction }, { additionalProperties: false, $id: 'https://vitrin.dev/schemas/request.v1.json' });

/** What an erasure leaves behind: counts and ids of the request, no personal data. */
export const ErasureReceiptV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.erasure-receipt/1'),
    receiptId: Type.String(),
    requestId: Type.String(),
    storeId: Type.String(),
    source: Type.Union([Type.Literal('mqtt'), Type.Literal('admin'), Type.Literal('cloud')]),
    requestedAt: Type.String({ format: 'date-time' }),
    completedAt: Type.String({ format: 'date-time' }),
    /** False when the gateway held nothing of this member: erasure is idempotent. */
    held: Type.Boolean(),
    erased: Type.Object(
      { roster: Type.Boolean(), events: Type.Integer({ minimum: 0 }), cardsWithdrawn: Type.Integer({ minimum: 0 }), present: Type.Boolean() },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/erasure-receipt.v1.json' },
);

export type ErasureReceipt = Static<typeof ErasureReceiptV1>;

export const ResponseV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.response/1'),
    op: Type.String(),
    transaction: Type.Union([Type.String(), Type.Null()], { description: 'The request\'s transaction id; null when the request was unreadable.' }),
    status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
    data: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: false })),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/response.v1.json' },
);

export type Response = Static<typeof ResponseV1>;
