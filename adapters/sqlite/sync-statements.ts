import type Database from 'better-sqlite3';

// The sync store's SQL. Undelivered outbox rows are found through the outbox_pending
// index (sent_at, next_attempt_at): both are NULL on every undelivered row, so the
// index holds them in id order and `ORDER BY o.id LIMIT n` reads n entries, not the
// whole backlog.

export interface RecordRow {
  outbox_id: number;
  idempotency_key: string;
  event_id: number;
  at: number;
  type: string;
  member_id: string | null;
  payload: string;
  bytes: number;
}

interface BatchRow {
  id: string;
  first_outbox_id: number;
  last_outbox_id: number;
  attempts: number;
  next_attempt_at: number;
}

interface EventRow {
  id: number;
  at: number;
  type: string;
  member_id: string | null;
  payload: string;
}

interface PackageRow {
  version: number;
  status: string;
  sha256: string;
  at: number;
}

/** What a record counts towards the disk cap: its stored text and a fixed share for the row, keys and indexes. */
const BYTES = 'octet_length(e.payload) + octet_length(e.type) + 96';
const RECORD = `o.id AS outbox_id, o.idempotency_key, o.event_id, e.at, e.type, e.member_id, e.payload, ${BYTES} AS bytes`;
const UNSENT = 'o.sent_at IS NULL AND o.next_attempt_at IS NULL';

export function prepareSyncStatements(db: Database.Database) {
  const droppable = new Map<string, Database.Statement<[number, number, number], RecordRow>>();
  return {
    depth: db.prepare<[], number>('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck(),
    depthUpTo: db.prepare<[number], number>(`SELECT count(*) FROM (SELECT 1 FROM outbox o WHERE ${UNSENT} LIMIT ?)`).pluck(),
    oldestPending: db.prepare<[], number>(`SELECT created_at FROM outbox o WHERE ${UNSENT} ORDER BY o.id LIMIT 1`).pluck(),
    pendingBytesAll: db.prepare<[], { bytes: number | null }>(`SELECT sum(${BYTES}) AS bytes FROM outbox o JOIN events e ON e.id = o.event_id WHERE ${UNSENT}`),
    pendingBytesAfter: db.prepare<[number], { bytes: number | null; max_id: number | null }>(
      `SELECT sum(${BYTES}) AS bytes, max(o.id) AS max_id FROM outbox o JOIN events e ON e.id = o.event_id WHERE ${UNSENT} AND o.id > ?`,
    ),
    maxOutboxId: db.prepare<[], number | null>('SELECT max(id) FROM outbox').pluck(),
    openBatch: db.prepare<[], BatchRow>('SELECT id, first_outbox_id, last_outbox_id, attempts, next_attempt_at FROM uplink_batches ORDER BY created_at LIMIT 1'),
    recordsAfter: db.prepare<[number, number], RecordRow>(`SELECT ${RECORD} FROM outbox o JOIN events e ON e.id = o.event_id WHERE ${UNSENT} AND o.id > ? ORDER BY o.id LIMIT ?`),
    recordsBetween: db.prepare<[number, number], RecordRow>(`SELECT ${RECORD} FROM outbox o JOIN events e ON e.id = o.event_id WHERE ${UNSENT} AND o.id BETWEEN ? AND ? ORDER BY o.id`),
    insertBatch: db.prepare<[string, number, number, number]>('INSERT INTO uplink_batches (id, first_outbox_id, last_outbox_id, created_at) VALUES (?, ?, ?, ?)'),
    deferBatch: db.prepare<[number, number, string]>('UPDATE uplink_batches SET attempts = ?, next_attempt_at = ? WHERE id = ?'),
    deleteBatch: db.prepare<[string]>('DELETE FROM uplink_batches WHERE id = ?'),
    markSent: db.prepare<[number, number, string]>('UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ? AND idempotency_key = ? AND sent_at IS NULL'),
    /** Undelivered records of these types outside the batch in flight, oldest first. */
    droppable(types: readonly string[]): Database.Statement<[number, number, number], RecordRow> {
      const key = types.join(',');
      let statement = droppable.get(key);
      if (statement === undefined) {
        const list = types.map((t) => `'${t.replace(/'/g, "''")}'`).join(', ');
        statement = db.prepare<[number, number, number], RecordRow>(
          `SELECT ${RECORD} FROM outbox o JOIN events e ON e.id = o.event_id WHERE ${UNSENT} AND e.type IN (${list}) AND o.id NOT BETWEEN ? AND ? ORDER BY o.id LIMIT ?`,
        );
        droppable.set(key, statement);
      }
      return statement;
    },
    // Outbox rows go with their events (ON DELETE CASCADE).
    deleteEvent: db.prepare<[number]>('DELETE FROM events WHERE id = ?'),
    insertEvent: db.prepare<[number, string, string | null, string]>('INSERT INTO events (at, type, member_id, payload) VALUES (?, ?, ?, ?)'),
    insertOutbox: db.prepare<[string, number]>('INSERT INTO outbox (event_id, idempotency_key, created_at) VALUES (last_insert_rowid(), ?, ?)'),
    keyExists: db.prepare<[string], number>('SELECT 1 FROM outbox WHERE idempotency_key = ?').pluck(),
    getState: db.prepare<[string], string>('SELECT value FROM sync_state WHERE name = ?').pluck(),
    setState: db.prepare<[string, string]>('INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    getPackage: db.prepare<[string], PackageRow>('SELECT version, status, sha256, at FROM package_versions WHERE kind = ?'),
    setPackage: db.prepare<[string, number, string, string, number, string | null]>(
      'INSERT INTO package_versions (kind, version, status, sha256, at, detail) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind) DO UPDATE SET version = excluded.version, status = excluded.status, sha256 = excluded.sha256, at = excluded.at, detail = excluded.detail',
    ),
    eventsBetween: db.prepare<[number, number], EventRow>('SELECT id, at, type, member_id, payload FROM events WHERE at >= ? AND at < ? ORDER BY at, id'),
    oldestEvent: db.prepare<[], number | null>('SELECT min(at) FROM events').pluck(),
    // Delivered (no undelivered outbox row) and older than the retention: by time, through events_at.
    purgeDelivered: db.prepare<[number, number]>(
      'DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.at < ? AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id AND o.sent_at IS NULL) LIMIT ?)',
    ),
    purgeUndelivered: db.prepare<[number, string, string, number]>('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? AND type NOT IN (?, ?) LIMIT ?)'),
  };
}

export type SyncStatements = ReturnType<typeof prepareSyncStatements>;
