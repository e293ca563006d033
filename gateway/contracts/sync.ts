import { Type, type Static } from '@sinclair/typebox';
import { RosterMemberV1 } from './roster.js';

// The cloud sync protocol (docs/sync-protocol.md): what the gateway POSTs to
// <cloud.url>/v1/stores/<storeId>/records and what it GETs from
// <cloud.url>/v1/stores/<storeId>/packages. Versioned like the MQTT contracts: a
// breaking change gets a new `schema` value and a new file.

const Id = Type.String({ minLength: 1, maxLength: 64 });
const When = Type.String({ format: 'date-time' });

export const RECORD_KINDS = ['visit', 'exposure', 'reaction', 'holdout', 'summary', 'visit-without-purchase', 'erasure-receipt', 'outbox-dropped', 'package-refused', 'other'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const UplinkRecordV1 = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 80, description: 'Stable across every retry and restart: the cloud keeps the first record with an id and ignores the others.' }),
    kind: Type.Union(
      RECORD_KINDS.map((k) => Type.Literal(k)),
      {
        description:
          'visit: entered-store, entered-zone, dwelling, left. exposure: card-shown, card-withdrawn. reaction: feedback. holdout: card-held-out (would have been shown). summary: hourly-summary. visit-without-purchase. erasure-receipt. outbox-dropped: what the disk cap dropped. package-refused: a downlink package this gateway refused.',
      },
    ),
    type: Type.String({ minLength: 1, maxLength: 64, description: 'The event type as stored on the gateway.' }),
    at: When,
    memberId: Type.Optional(Type.String({ description: 'Pseudonymous member id; never a device address.' })),
    recommendationIds: Type.Optional(
      Type.Array(Type.String(), { description: 'Exposures, reactions and holdout records: <cardId>:<suggestionId> of each recommendation concerned (<cardId> alone for the card as a whole).' }),
    ),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The event as stored; for summaries, vitrin.hourly-summary/1.' }),
  },
  { additionalProperties: false },
);

export type UplinkRecord = Static<typeof UplinkRecordV1>;

export const UplinkBatchV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.uplink-batch/1'),
    batchId: Type.String({ description: 'The same as the Idempotency-Key header; the same on every retry of this batch.' }),
    storeId: Type.String(),
    gatewayVersion: Type.String(),
    sentAt: When,
    records: Type.Array(UplinkRecordV1, { minItems: 1, maxItems: 5000 }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/uplink-batch.v1.json' },
);

export type UplinkBatch = Static<typeof UplinkBatchV1>;

export const PACKAGE_KINDS = ['roster-delta', 'catalog', 'model'] as const;
export type PackageKind = (typeof PACKAGE_KINDS)[number];

const envelopeProperties = {
  schema: Type.Literal('vitrin.package/1'),
  kind: Type.Union(PACKAGE_KINDS.map((k) => Type.Literal(k))),
  storeId: Type.String({ minLength: 1, maxLength: 64 }),
  version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Increases with every package of this kind for this store.' }),
  createdAt: When,
  keyId: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$', description: 'The first 16 hex digits of sha256 of the raw 32-byte public key that signed it.' })),
  body: Type.String({ contentEncoding: 'base64', description: 'The body bytes (UTF-8 JSON), base64.' }),
  signature: Type.String({ contentEncoding: 'base64', description: 'Ed25519 over "vitrin.package/1\\n<kind>\\n<storeId>\\n<version>\\n" followed by the body bytes; 64 bytes, base64.' }),
};

export const PackageEnvelopeV1 = Type.Object(envelopeProperties, { additionalProperties: false, $id: 'https://vitrin.dev/schemas/package.v1.json' });

export type PackageEnvelope = Static<typeof PackageEnvelopeV1>;

export const PackageListV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.package-list/1'),
    packages: Type.Array(Type.Object(envelopeProperties, { additionalProperties: false }), { maxItems: 100 }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/package-list.v1.json' },
);

export type PackageList = Static<typeof PackageListV1>;

export const RosterDeltaV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.roster-delta/1'),
    baseVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'The roster-delta version this one builds on; refused unless it is the last one applied here (0: none yet).' })),
    rotationExponent: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
    upsert: Type.Array(RosterMemberV1, {
      maxItems: 200_000,
      description: 'Members added or changed: keys, consent, holdout, profile (segments included). consent.presence false erases the member, as gateway/request/erase does.',
    }),
    remove: Type.Array(
      Type.Object(
        {
          memberId: Id,
          requestId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The withdrawal id; carried in the erasure receipt.' })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 200_000, description: 'Members who left or withdrew consent: erased on the gateway with a receipt (source cloud).' },
    ),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/roster-delta.v1.json' },
);

export type RosterDelta = Static<typeof RosterDeltaV1>;

export const ModelPackageV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.model-package/1'),
    manifest: Type.Record(Type.String(), Type.Unknown(), { description: 'manifest.json as in models/<name>/ (id, version, sha256 of the model bytes, input, features, output).' }),
    model: Type.String({ contentEncoding: 'base64', description: 'model.onnx, base64.' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/model-package.v1.json' },
);

export type ModelPackage = Static<typeof ModelPackageV1>;

const Rate = Type.Object(
  { members: Type.Integer({ minimum: 0 }), purchasers: Type.Integer({ minimum: 0 }), rate: Type.Union([Type.Number(), Type.Null()]) },
  { additionalProperties: false },
);

export const HourlySummaryV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.hourly-summary/1'),
    storeId: Type.String(),
    hourStart: When,
    hourEnd: When,
    visits: Type.Integer({ minimum: 0, description: 'entered-store events in the hour.' }),
    uniqueMembers: Type.Integer({ minimum: 0, description: 'Members with any visit event in the hour.' }),
    dwell: Type.Object(
      {
        visitsEnded: Type.Integer({ minimum: 0 }),
        totalSeconds: Type.Number({ minimum: 0 }),
        averageSeconds: Type.Union([Type.Number(), Type.Null()]),
        zoneDwellings: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false, description: 'Visits that ended (left) in the hour: time from entered-store to left.' },
    ),
    cards: Type.Object(
      { shown: Type.Integer({ minimum: 0 }), heldOut: Type.Integer({ minimum: 0 }), withdrawn: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
    accepted: Type.Integer({ minimum: 0, description: 'Feedback accepted.' }),
    dismissed: Type.Integer({ minimum: 0 }),
    purchases: Type.Integer({ minimum: 0, description: 'Feedback purchased.' }),
    uplift: Type.Object(
      {
        treated: Rate,
        holdout: Rate,
        difference: Type.Union([Type.Number(), Type.Null()], { description: 'treated.rate - holdout.rate; null unless both groups had members.' }),
      },
      { additionalProperties: false, description: 'Members shown a card against members held out in the hour, and the share of each that purchased.' },
    ),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/hourly-summary.v1.json' },
);

export type HourlySummary = Static<typeof HourlySummaryV1>;

export const VisitWithoutPurchaseV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.visit-without-purchase/1'),
    enteredAt: When,
    leftAt: When,
    dwellSeconds: Type.Number({ minimum: 0 }),
    zones: Type.Array(Type.String()),
    cardIds: Type.Array(Type.String()),
    suggestedSkus: Type.Array(Type.String(), { description: 'What the cards of the visit suggested: what the next-day push may follow up.' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/visit-without-purchase.v1.json' },
);

export type VisitWithoutPurchase = Static<typeof VisitWithoutPurchaseV1>;
