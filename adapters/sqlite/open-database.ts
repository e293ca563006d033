import Database from 'better-sqlite3';

/** What the store's own connection runs with; `vitrin doctor` and the tests read it. */
export interface ConnectionSettings {
  readonly journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  readonly synchronous: number;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly schemaVersion: number;
}

const SYNCHRONOUS_NORMAL = 1;

/**
 * Opens the database and sets the connection up. Each pragma is read back because
 * SQLite ignores some silently: journal_mode stays `delete` on a read-only or
 * network file system, and synchronous is per connection, so it must be set here.
 */
export function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode syncs at checkpoints, not at every commit: a power cut can
    // lose the last commits but never corrupts the file. FULL costs an fsync per batch.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Deleted rows are overwritten with zeros: an erased member leaves no bytes behind.
    db.pragma('secure_delete = ON');
    const settings = readSettings(db);
    if (settings.journalMode !== 'wal') throw new Error(`journal_mode is ${settings.journalMode}, not wal (is the data folder on a network or read-only file system?)`);
    if (settings.synchronous !== SYNCHRONOUS_NORMAL) throw new Error(`synchronous is ${settings.synchronous}, not 1 (NORMAL)`);
    if (!settings.foreignKeys) throw new Error('foreign_keys did not turn on');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function readSettings(db: Database.Database): ConnectionSettings {
  return {
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: Number(db.pragma('synchronous', { simple: true })),
    foreignKeys: Number(db.pragma('foreign_keys', { simple: true })) === 1,
    busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
    schemaVersion: Number(db.pragma('user_version', { simple: true })),
  };
}
