import type { RecordKind, UplinkRecord } from '../contracts/sync.js';
import type { OutboxRecord } from './sync-ports.js';

// Stored events as the cloud receives them: the event as stored, with its kind and,
// for exposures, reactions and holdout decisions, the recommendation ids the cloud
// joins them on (<cardId>:<suggestionId>).

const KINDS: Readonly<Record<string, RecordKind>> = {
  'entered-store': 'visit',
  'entered-zone': 'visit',
  dwelling: 'visit',
  left: 'visit',
  'card-shown': 'exposure',
  'card-withdrawn': 'exposure',
  feedback: 'reaction',
  'card-held-out': 'holdout',
  'hourly-summary': 'summary',
  'visit-without-purchase': 'visit-without-purchase',
  'erasure-receipt': 'erasure-receipt',
  'outbox-dropped': 'outbox-dropped',
  'package-refused': 'package-refused',
};

/** Event types the disk cap may drop, first tier first; anything else is never dropped. */
export const DROP_TIERS = {
  visit: ['entered-store', 'entered-zone', 'dwelling', 'left'],
  interaction: ['card-shown', 'card-withdrawn', 'card-held-out', 'feedback', 'visit-without-purchase'],
} as const;

export function recordKindOf(type: string): RecordKind {
  return KINDS[type] ?? 'other';
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** <cardId>:<suggestionId> of every suggestion on an exposure or holdout record, or of the one a reaction names. */
export function recommendationIds(kind: RecordKind, payload: Record<string, unknown>): string[] | undefined {
  const cardId = text(payload.cardId);
  if (cardId === undefined || (kind !== 'exposure' && kind !== 'reaction' && kind !== 'holdout')) return undefined;
  if (kind === 'reaction') {
    const suggestionId = text(payload.suggestionId);
    return [suggestionId === undefined ? cardId : `${cardId}:${suggestionId}`];
  }
  const suggestions = Array.isArray(payload.suggestions) ? (payload.suggestions as unknown[]) : [];
  const ids = suggestions.map((s) => text((s as { id?: unknown } | null)?.id)).filter((id): id is string => id !== undefined);
  return ids.length === 0 ? [cardId] : ids.map((id) => `${cardId}:${id}`);
}

export function toUplinkRecord(record: OutboxRecord): UplinkRecord {
  const kind = recordKindOf(record.type);
  const recommendations = recommendationIds(kind, record.payload);
  return {
    id: record.id,
    kind,
    type: record.type,
    at: new Date(record.at).toISOString(),
    ...(record.memberId === undefined ? {} : { memberId: record.memberId }),
    ...(recommendations === undefined ? {} : { recommendationIds: recommendations }),
    payload: record.payload,
  };
}
