// The seams of cloud sync: the outbox and sync bookkeeping in SQLite, and the HTTP
// transport to the cloud. Only our own types cross them.

import type { PackageKind } from '../contracts/sync.js';
import type { StoredEvent } from '../ports.js';

/** One undelivered event as the outbox hands it out. */
export interface OutboxRecord {
  /** The outbox row's idempotency key: the record's id on the wire, the same on every retry. */
  readonly id: string;
  readonly outboxId: number;
  readonly type: string;
  readonly at: number;
  readonly memberId?: string;
  readonly payload: Record<string, unknown>;
  /** What the record counts towards the disk cap. */
  readonly bytes: number;
}

/** A claimed batch: its key is kept with it, so a retry (also after a restart) sends the same key. */
export interface OutboxBatch {
  readonly id: string;
  readonly records: readonly OutboxRecord[];
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Not to be sent before this (ms since the epoch); 0: at once. */
  readonly nextAttemptAt: number;
}

export interface OutboxStats {
  /** Records not yet acknowledged by the cloud. */
  readonly depth: number;
  /** When the oldest of them was committed; undefined when none waits. */
  readonly oldestCreatedAt: number | undefined;
  /** What they count towards the disk cap. */
  readonly pendingBytes: number;
}

/** What the disk cap dropped in one go, also stored as an `outbox-dropped` event for the cloud. */
export interface OutboxDrop {
  readonly tier: 'visit' | 'interaction';
  readonly count: number;
  readonly bytes: number;
  readonly fromAt: number;
  readonly toAt: number;
}

export interface Outbox {
  stats(): OutboxStats;
  /** Cheap enough for every batch: how many records wait, counted up to `limit`, and when the oldest was committed. */
  backlog(limit: number): { readonly count: number; readonly oldestCreatedAt: number | undefined };
  /**
   * The batch in flight, when there is one (also one claimed before a restart);
   * otherwise, with `claimNew`, a new batch of the oldest undelivered records.
   */
  claimBatch(limits: { readonly maxRecords: number; readonly maxBytes: number }, now: number, claimNew: boolean): OutboxBatch | undefined;
  /** The cloud acknowledged the batch: these records (matched by row and key) are delivered. */
  ackBatch(batchId: string, records: readonly OutboxRecord[], now: number): void;
  deferBatch(batchId: string, attempts: number, nextAttemptAt: number): void;
  /** Forgets the batch (its records wait again) so they can go out in smaller batches under new keys. */
  dissolveBatch(batchId: string): void;
  /**
   * Past `capBytes`, drops undelivered raw visit events oldest first, then exposures,
   * reactions and holdout records; never summaries, erasure receipts or reports.
   */
  enforceCap(capBytes: number, now: number): OutboxDrop[];
  /** Drops counted since the database was made, by tier. */
  droppedTotals(): Readonly<Record<OutboxDrop['tier'], number>>;
  /** Rows went away behind the outbox's back (an erasure): recount before trusting the tally. */
  invalidate(): void;
}

export interface PackageVersion {
  readonly version: number;
  readonly status: 'applied' | 'refused';
  readonly sha256: string;
  readonly at: number;
}

export interface PackageLedger {
  packageVersion(kind: PackageKind): PackageVersion | undefined;
  /** Persists the last version taken for a kind (applied, or refused after a good signature). */
  recordPackage(kind: PackageKind, entry: PackageVersion, detail?: string): void;
}

/** An event the sync jobs derive (summaries); its key makes writing it twice a no-op. */
export interface DerivedEvent {
  readonly key: string;
  readonly type: string;
  readonly memberId?: string;
  readonly at: number;
  readonly payload: Record<string, unknown>;
}

export interface SyncHistory {
  state(name: string): string | undefined;
  setState(name: string, value: string): void;
  /** Stored events with from <= at < to, oldest first. */
  eventsBetween(from: number, to: number): StoredEvent[];
  /** The time of the oldest stored event. */
  oldestEventAt(): number | undefined;
  /** Writes the events with their outbox rows and the state in one transaction; returns how many were new. */
  appendDerived(events: readonly DerivedEvent[], state: { readonly name: string; readonly value: string }): number;
  /**
   * Deletes up to `limit` events older than `before` that the cloud acknowledged (with
   * `undelivered`, also ones never sent, except summaries and erasure receipts); returns how many.
   */
  purgeChunk(before: number, undelivered: boolean, limit: number): number;
}

export type SyncStore = Outbox & PackageLedger & SyncHistory;

export interface CloudRequest {
  readonly method: 'GET' | 'POST';
  /** Below cloud.url, starting with a slash, with the query string. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly timeoutMs: number;
}

export interface CloudResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Decompressed when the cloud sent gzip. */
  readonly body: Buffer;
}

/** HTTP to the cloud. Rejects on network errors, timeouts and dropped connections; any status resolves. */
export interface CloudTransport {
  request(request: CloudRequest): Promise<CloudResponse>;
  close(): Promise<void>;
}
