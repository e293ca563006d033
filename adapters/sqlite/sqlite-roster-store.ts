import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { VitrinError } from '../../gateway/errors.js';
import type { RosterStore, SealedMember } from '../../gateway/ports.js';
import { migrate } from './migrations.js';
import { openDatabase } from './open-database.js';

export interface SqliteRosterStoreOptions {
  readonly dataDir: string;
}

interface Statements {
  readonly meta: Database.Statement<[string], Buffer>;
  readonly setMeta: Database.Statement<[string, Uint8Array]>;
  readonly upsert: Database.Statement<[string, Uint8Array, number]>;
  readonly maxSeq: Database.Statement<[], number | null>;
  readonly since: Database.Statement<[number, number], { id: string; sealed: Buffer; seq: number }>;
  readonly get: Database.Statement<[string], { id: string; sealed: Buffer; seq: number }>;
  readonly remove: Database.Statement<[string]>;
  readonly count: Database.Statement<[], number>;
}

/**
 * The roster in the gateway's SQLite file, on its own connection. Records arrive
 * sealed by the core; this adapter stores bytes. Deletion runs with secure_delete
 * and a WAL checkpoint, so an erased member's record is overwritten on disk.
 * `vitrin roster import` writes here while the gateway may be running: the gateway
 * picks the new rows up by their sequence number.
 */
export class SqliteRosterStore implements RosterStore {
  private db: Database.Database | undefined;
  private statements: Statements | undefined;

  constructor(private readonly options: SqliteRosterStoreOptions) {}

  get file(): string {
    return join(this.options.dataDir, 'vitrin.db');
  }

  start(): Promise<void> {
    if (this.db !== undefined) return Promise.resolve();
    let db: Database.Database | undefined;
    try {
      mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
      db = openDatabase(this.file, 5_000);
      migrate(db);
      this.statements = prepare(db);
      this.db = db;
      return Promise.resolve();
    } catch (cause) {
      db?.close();
      const reason = cause instanceof Error ? cause.message : String(cause);
      return Promise.reject(new VitrinError('VITRIN_ERR_STORE_OPEN', `cannot open the roster in ${this.file}: ${reason}`, { cause }));
    }
  }

  stop(): Promise<void> {
    this.statements = undefined;
    this.db?.close();
    this.db = undefined;
    return Promise.resolve();
  }

  keyCheck(): Uint8Array | undefined {
    return this.open().meta.get('key-check');
  }

  rotationExponent(): number | undefined {
    const value = this.open().meta.get('rotation-exponent');
    return value === undefined ? undefined : Number(value.toString('utf8'));
  }

  put(members: readonly { readonly id: string; readonly sealed: Uint8Array }[], keyCheck: Uint8Array, rotationExponent?: number): void {
    const s = this.open();
    this.db!.transaction(() => {
      if (s.meta.get('key-check') === undefined) s.setMeta.run('key-check', keyCheck);
      if (rotationExponent !== undefined) s.setMeta.run('rotation-exponent', Buffer.from(String(rotationExponent), 'utf8'));
      let seq = s.maxSeq.get() ?? 0;
      for (const member of members) s.upsert.run(member.id, member.sealed, ++seq);
    }).immediate();
  }

  since(seq: number, limit: number): SealedMember[] {
    return this.open().since.all(seq, limit);
  }

  get(id: string): SealedMember | undefined {
    return this.open().get.get(id);
  }

  remove(id: string): boolean {
    const removed = this.open().remove.run(id).changes > 0;
    if (removed) this.db!.pragma('wal_checkpoint(TRUNCATE)');
    return removed;
  }

  count(): number {
    return this.open().count.get() ?? 0;
  }

  private open(): Statements {
    if (this.statements === undefined) throw new VitrinError('VITRIN_ERR_STORE_OPEN', 'the roster store is not open');
    return this.statements;
  }
}

function prepare(db: Database.Database): Statements {
  return {
    meta: db.prepare<[string], Buffer>('SELECT value FROM roster_meta WHERE name = ?').pluck(),
    setMeta: db.prepare<[string, Uint8Array]>('INSERT INTO roster_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    upsert: db.prepare<[string, Uint8Array, number]>('INSERT INTO members (id, sealed, seq) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, seq = excluded.seq'),
    maxSeq: db.prepare<[], number | null>('SELECT max(seq) FROM members').pluck(),
    since: db.prepare<[number, number], { id: string; sealed: Buffer; seq: number }>('SELECT id, sealed, seq FROM members WHERE seq > ? ORDER BY seq LIMIT ?'),
    get: db.prepare<[string], { id: string; sealed: Buffer; seq: number }>('SELECT id, sealed, seq FROM members WHERE id = ?'),
    remove: db.prepare<[string]>('DELETE FROM members WHERE id = ?'),
    count: db.prepare<[], number>('SELECT count(*) FROM members').pluck(),
  };
}
