// Versioned schema migrations, applied in order, each in its own transaction.
// PRAGMA user_version records the last applied version. Never edit a shipped
// migration: add the next one.
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events and outbox',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        member_id TEXT,
        payload TEXT NOT NULL
      );
      CREATE INDEX events_member ON events (member_id);
      CREATE INDEX events_at ON events (at);
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        idempotency_key TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        sent_at INTEGER
      );
      CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);
    `,
  },
  {
    version: 2,
    name: 'roster',
    sql: `
      CREATE TABLE members (
        id TEXT PRIMARY KEY,
        sealed BLOB NOT NULL,
        seq INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX members_seq ON members (seq);
      CREATE TABLE roster_meta (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'cloud sync',
    sql: `
      -- The batch in flight: its Idempotency-Key and the outbox rows it covers, kept
      -- so that a retry, also after a crash, sends the same records under the same key.
      CREATE TABLE uplink_batches (
        id TEXT PRIMARY KEY,
        first_outbox_id INTEGER NOT NULL,
        last_outbox_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      -- Deleting events (erasure, purge, the disk cap) finds their outbox rows by this.
      CREATE INDEX outbox_event ON outbox (event_id);
      -- The last downlink package version taken per kind: no replay, no downgrade.
      CREATE TABLE package_versions (
        kind TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        at INTEGER NOT NULL,
        detail TEXT
      ) WITHOUT ROWID;
      -- Small named values: the last hour summarised, the last purge, drop counters.
      CREATE TABLE sync_state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/** Thrown when the file was written by a newer Vitrin; the caller wraps it as VITRIN_ERR_STORE_OPEN. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`schema version ${found} is newer than the ${known} this Vitrin knows; the file was written by a newer release`);
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Brings the schema up to the last migration and returns the versions applied.
 * A database newer than the code is refused rather than written to: an older
 * release cannot know what a newer schema expects.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  assertOrdered(migrations);
  const current = Number(db.pragma('user_version', { simple: true }));
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) throw new SchemaTooNewError(current, known);
  const pending = migrations.filter((m) => m.version > current);
  for (const migration of pending) {
    // immediate: take the write lock before reading, so two processes starting
    // together cannot both apply the same migration.
    db.transaction(() => {
      const now = Number(db.pragma('user_version', { simple: true }));
      if (now >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return pending;
}

function assertOrdered(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new Error(`migration ${m.version} (${m.name}) is out of order: versions must be increasing integers from 1`);
    }
    previous = m.version;
  }
}
