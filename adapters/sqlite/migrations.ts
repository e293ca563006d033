// Versioned schema migrations, applied in order, each in its own transaction.
// PRAGMA user_version records the last applied version. Never edit a shipped
// migration: add the next one.

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
];
