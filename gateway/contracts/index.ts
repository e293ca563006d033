import type { TSchema } from '@sinclair/typebox';
import { CardV1, WithdrawnV1 } from './card.js';
import { GatewayInfoV1, PresentV1 } from './gateway.js';
import { HealthV1 } from './health.js';
import { SightingsV1 } from './sightings.js';
import { FeedbackErrorV1, FeedbackV1 } from './feedback.js';
import { EraseRequestV1, ErasureReceiptV1, PlainRequestV1, ResponseV1 } from './requests.js';
import { CatalogV1 } from './catalog.js';
import { HourlySummaryV1, ModelPackageV1, PackageEnvelopeV1, PackageListV1, RosterDeltaV1, UplinkBatchV1, VisitWithoutPurchaseV1 } from './sync.js';

/** Every MQTT payload and cloud sync schema, by the file name it has in gateway/contracts/schemas/. */
export const CONTRACTS: Readonly<Record<string, TSchema>> = {
  'card.v1.json': CardV1,
  'card-withdrawn.v1.json': WithdrawnV1,
  'present.v1.json': PresentV1,
  'gateway-info.v1.json': GatewayInfoV1,
  'gateway-health.v1.json': HealthV1,
  'sightings.v1.json': SightingsV1,
  'feedback.v1.json': FeedbackV1,
  'feedback-error.v1.json': FeedbackErrorV1,
  'request-erase.v1.json': EraseRequestV1,
  'request.v1.json': PlainRequestV1,
  'erasure-receipt.v1.json': ErasureReceiptV1,
  'response.v1.json': ResponseV1,
  // Cloud sync (docs/sync-protocol.md).
  'uplink-batch.v1.json': UplinkBatchV1,
  'package.v1.json': PackageEnvelopeV1,
  'package-list.v1.json': PackageListV1,
  'roster-delta.v1.json': RosterDeltaV1,
  'catalog.v1.json': CatalogV1,
  'model-package.v1.json': ModelPackageV1,
  'hourly-summary.v1.json': HourlySummaryV1,
  'visit-without-purchase.v1.json': VisitWithoutPurchaseV1,
};

export function contractJson(schema: TSchema): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
}
