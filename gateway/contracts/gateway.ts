import { Type, type Static } from '@sinclair/typebox';

// Payloads of the gateway's own retained topics.

export const PresentV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.present/1'),
    terminalId: Type.String(),
    members: Type.Array(
      Type.Object(
        {
          memberId: Type.String(),
          cardId: Type.String(),
          firstName: Type.Optional(Type.String()),
          since: Type.String({ format: 'date-time' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/present.v1.json' },
);

export type Present = Static<typeof PresentV1>;

export const GatewayInfoV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.info/1'),
    version: Type.String(),
    storeId: Type.String(),
    simulated: Type.Boolean({ description: 'True when the shoppers come from the demo simulator, not a radio.' }),
    model: Type.Union([
      Type.Object({ id: Type.String(), version: Type.String(), sha256: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
    configDigest: Type.String({ description: 'sha256 prefix of the effective config without secrets.' }),
    startedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/gateway-info.v1.json' },
);

export type GatewayInfo = Static<typeof GatewayInfoV1>;
