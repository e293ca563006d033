import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, SchemaTooNewError, type Migration } from '../../../adapters/sqlite/migrations.js';

const TWO: readonly Migration[] = [
  { version: 1, name: 'first', sql: 'CREATE TABLE a (x INTEGER)' },
  { version: 2, name: 'second', sql: 'CREATE TABLE b (y INTEGER)' },
];

describe('migrate on a real file', () => {
  let db: Database.Database;
  const open = () => (db = new Database(join(mkdtempSync(join(tmpdir(), 'vitrin-migrate-')), 'test.db')));
  afterEach(() => db.close());

  it('applies the shipped migrations once', () => {
    open();
    expect(migrate(db).map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)?.version);
  });

  it('applies only what is new, in order', () => {
    open();
    migrate(db, TWO.slice(0, 1));
    expect(migrate(db, TWO).map((m) => m.name)).toEqual(['second']);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
  });

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    open();
    migrate(db, TWO.slice(0, 1));
    const broken = [...TWO.slice(0, 1), { version: 2, name: 'broken', sql: 'CREATE TABLE c (z INTEGER); SELECT * FROM missing' }];
    expect(() => migrate(db, broken)).toThrow(/missing/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'c'").pluck().get()).toBe(0);
  });

  it('refuses a database newer than the code', () => {
    open();
    db.pragma('user_version = 3');
    expect(() => migrate(db, TWO)).toThrow(SchemaTooNewError);
  });

  it('refuses migrations listed out of order', () => {
    open();
    expect(() => migrate(db, [TWO[1]!, TWO[0]!])).toThrow(/out of order/);
  });
});
