import type { TSchema } from '@sinclair/typebox';
import { CardV1, WithdrawnV1 } from './card.js';
import { GatewayInfoV1, PresentV1 } from './gateway.js';
import { SightingsV1 } from './sightings.js';

/** Every MQTT payload schema, by the file name it has in gateway/contracts/schemas/. */
export const CONTRACTS: Readonly<Record<string, TSchema>> = {
  'card.v1.json': CardV1,
  'card-withdrawn.v1.json': WithdrawnV1,
  'present.v1.json': PresentV1,
  'gateway-info.v1.json': GatewayInfoV1,
  'sightings.v1.json': SightingsV1,
};

export function contractJson(schema: TSchema): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}
