import { Type, type Static } from '@sinclair/typebox';

// vitrin/<storeId>/receivers/<receiverId>/sightings: what a Vitrin box in receiver
// mode heard, batched. Only advertisements in the app's formats are forwarded.

export const SightingsV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.sightings/1'),
    receiverId: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    sentAt: Type.String({ format: 'date-time' }),
    sightings: Type.Array(
      Type.Object(
        {
          address: Type.String({ pattern: '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' }),
          addressType: Type.Union([Type.Literal('public'), Type.Literal('random'), Type.Literal('unknown')]),
          rssi: Type.Integer({ minimum: -127, maximum: 20 }),
          data: Type.String({ pattern: '^([0-9a-f]{2}){1,255}$', description: 'The advertising data (AD structures), hex.' }),
          at: Type.Integer({ minimum: 0, description: 'When it was heard, ms since the Unix epoch.' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 500 },
    ),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/sightings.v1.json' },
);

export type Sightings = Static<typeof SightingsV1>;
