import Database from 'better-sqlite3';

/** What the store's own connection runs with; `vitrin doctor` and the tests read it. */
export interface ConnectionSettings {
  readonly journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  readonly synchronous: number;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  /** The page cache's ceiling in KiB. */
  readonly cacheKib: number;
  readonly schemaVersion: number;
}

const SYNCHRONOUS_NORMAL = 1;

/**
 * Page cache per connection, in KiB. better-sqlite3 builds SQLite with 16 MB per
 * connection: with three connections the cache grows with the database toward 48 MB,
 * which on a gateway reads as a slow leak. The store appends and reads recent rows,
 * so SQLite's own default of 2 MB holds what it touches.
 */
const CACHE_KIB = 2_000;

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
    db.pragma(`cache_size = -${CACHE_KIB}`);
    const settings = readSettings(db);
    if (settings.journalMode !== 'wal') throw new Error(`journal_mode is ${settings.journalMode}, not wal (is the data folder on a network or read-only file system?)`);
    if (settings.synchronous !== SYNCHRONOUS_NORMAL) throw new Error(`synchronous is ${settings.synchronous}, not 1 (NORMAL)`);
    if (!settings.foreignKeys) throw new Error('foreign_keys did not turn on');
    if (settings.cacheKib !== CACHE_KIB) throw new Error(`cache_size is ${settings.cacheKib} KiB, not ${CACHE_KIB}`);
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
    // Negative: KiB; positive: pages.
    cacheKib: cacheKib(db),
    schemaVersion: Number(db.pragma('user_version', { simple: true })),
  };
}

function cacheKib(db: Database.Database): number {
  const value = Number(db.pragma('cache_size', { simple: true }));
  return value < 0 ? -value : (value * Number(db.pragma('page_size', { simple: true }))) / 1024;
}
