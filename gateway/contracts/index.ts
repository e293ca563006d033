import type { TSchema } from '@sinclair/typebox';
import { CardV1, WithdrawnV1 } from './card.js';
import { GatewayInfoV1, PresentV1 } from './gateway.js';
import { SightingsV1 } from './sightings.js';
import { FeedbackErrorV1, FeedbackV1 } from './feedback.js';
import { EraseRequestV1, ErasureReceiptV1, PlainRequestV1, ResponseV1 } from './requests.js';

/** Every MQTT payload schema, by the file name it has in gateway/contracts/schemas/. */
export const CONTRACTS: Readonly<Record<string, TSchema>> = {
  'card.v1.json': CardV1,
  'card-withdrawn.v1.json': WithdrawnV1,
  'present.v1.json': PresentV1,
  'gateway-info.v1.json': GatewayInfoV1,
  'sightings.v1.json': SightingsV1,
  'feedback.v1.json': FeedbackV1,
  'feedback-error.v1.json': FeedbackErrorV1,
  'request-erase.v1.json': EraseRequestV1,
  'request.v1.json': PlainRequestV1,
  'erasure-receipt.v1.json': ErasureReceiptV1,
  'response.v1.json': ResponseV1,
};

export function contractJson(schema: TSchema): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}
