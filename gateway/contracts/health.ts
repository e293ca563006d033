import { Type, type Static } from '@sinclair/typebox';

// gateway/health: retained, QoS 1, published every mqtt.healthSeconds and at once when
// the status, a check or the model changes. The same facts as gateway/request/health.

export const HealthV1 = Type.Object(
  {
    schema: Type.Literal('vitrin.health/1'),
    storeId: Type.String(),
    status: Type.Union([Type.Literal('ready'), Type.Literal('not-ready')], { description: 'ready when every check is true.' }),
    checks: Type.Record(Type.String(), Type.Boolean(), { description: 'Each part the gateway needs, true while it is up: broker, database, model, radio, ...' }),
    version: Type.String(),
    simulated: Type.Boolean({ description: 'True when the shoppers come from the demo simulator, not a radio.' }),
    uptimeSeconds: Type.Integer({ minimum: 0 }),
    members: Type.Integer({ minimum: 0, description: 'Members in the roster.' }),
    present: Type.Integer({ minimum: 0, description: 'Members in the store now.' }),
    outboxDepth: Type.Integer({ minimum: 0, description: 'Events waiting for the cloud.' }),
    model: Type.Object({ id: Type.String(), version: Type.String(), sha256: Type.String() }, { additionalProperties: false }),
    at: Type.String({ format: 'date-time', description: 'When this was measured; a retained message older than a few periods means the gateway stopped publishing (see gateway/state).' }),
  },
  { additionalProperties: false, $id: 'https://vitrin.dev/schemas/gateway-health.v1.json' },
);

export type Health = Static<typeof HealthV1>;
