// The event store under load: batched commits (the way the gateway runs) against
// one commit per event, both through the real SqliteEventStore on a real file.
// Absolute rates depend on the disk and CPU; batchedSpeedup is the number to
// compare across machines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import { SqliteEventStore } from '../../adapters/sqlite/sqlite-event-store.js';
import type { StoredEventInput } from '../../gateway/ports.js';
import type { Benchmark } from './benchmark.js';

const BATCHED_EVENTS = 200_000;
const BATCHED_BUDGET_MS = 6_000;
const UNBATCHED_EVENTS = 10_000;
const UNBATCHED_BUDGET_MS = 2_500;
// Checking the clock every append would be measured too.
const CHECK_EVERY = 1_000;

// Members present in a store at once; each is a separate run in the member_id index.
const MEMBERS_PRESENT = 200;
// Enough 1000-event batches to measure, few enough to stay under the automatic checkpoint (about 4 MB of WAL).
const WAL_SAMPLE_EVENTS = 3_000;

const TYPES = ['entered-store', 'dwelling', 'card-shown', 'card-feedback', 'left-store'] as const;
const ZONES = ['entrance', 'womenswear', 'menswear', 'fitting-rooms', 'checkout'] as const;

/** About 200 bytes of JSON, like a moment with its card decision; varied so no two rows compress alike. */
function eventAt(i: number, startMs: number): StoredEventInput {
  return {
    type: TYPES[i % TYPES.length] ?? 'dwelling',
    memberId: `m-${(i * 7919) % MEMBERS_PRESENT}`,
    at: startMs + i * 3,
    payload: {
      zoneId: ZONES[i % ZONES.length],
      receiverId: `rx-${i % 4}`,
      rssi: -40 - (i % 50),
      distanceM: Math.round((i % 97) * 0.13 * 100) / 100,
      dwellMs: (i * 131) % 600_000,
      cardId: `card-${(i * 2654435761) % 1_000_000}`,
      model: { id: 'propensity', version: '2026.11.1' },
      score: ((i * 37) % 1000) / 1000,
      holdout: i % 10 === 0,
      terminalId: `pos-${i % 6}`,
    },
  };
}

interface RunResult {
  readonly events: number;
  readonly seconds: number;
  readonly walBytesPerEvent: number;
}

function storeIn(dataDir: string, maxBatch: number): SqliteEventStore {
  const log = pino({ level: 'warn' }, process.stderr);
  return new SqliteEventStore({ dataDir, log, clock: new SystemClock(), maxBatch });
}

/** Appends until `events` or the time budget; the timer never fires in this loop, so batches are cut at maxBatch. */
function appendFor(store: SqliteEventStore, events: number, budgetMs: number, startMs: number): { events: number; seconds: number } {
  let written = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(budgetMs) * 1_000_000n;
  while (written < events) {
    store.append(eventAt(written, startMs));
    written += 1;
    if (written % CHECK_EVERY === 0 && process.hrtime.bigint() > deadline) break;
  }
  store.flush();
  return { events: written, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/**
 * WAL bytes per event on a table that is already large (index pages are spread out
 * then). The WAL file is reused, not shrunk, after a checkpoint, so this starts from
 * an empty WAL (stop() truncates it) and reads its growth batch by batch.
 */
async function walBytesPerEvent(dataDir: string): Promise<number> {
  const store = storeIn(dataDir, 1000);
  await store.start();
  try {
    let bytes = 0;
    let events = 0;
    for (let i = 0; i < WAL_SAMPLE_EVENTS; i++) {
      store.append(eventAt(i, Date.now()));
      if (store.pendingCount() > 0) continue;
      const size = store.walBytes();
      if (size <= bytes) break;
      [bytes, events] = [size, i + 1];
    }
    return events === 0 ? 0 : bytes / events;
  } finally {
    await store.stop();
  }
}

async function appendThroughStore(events: number, budgetMs: number, maxBatch: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-bench-'));
  const dataDir = join(dir, 'data');
  try {
    const store = storeIn(dataDir, maxBatch);
    await store.start();
    let run: { events: number; seconds: number };
    try {
      run = appendFor(store, events, budgetMs, Date.now());
      if (store.outboxDepth() !== run.events) throw new Error(`wrote ${run.events} events but the outbox holds ${store.outboxDepth()}`);
    } finally {
      await store.stop();
    }
    return { ...run, walBytesPerEvent: await walBytesPerEvent(dataDir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

export const storeBench: Benchmark = {
  name: 'store',
  async run() {
    const batched = await appendThroughStore(BATCHED_EVENTS, BATCHED_BUDGET_MS, 1000);
    const batchedRate = batched.events / batched.seconds;
    process.stderr.write(`[bench] store: batched ${batched.events} events in ${batched.seconds.toFixed(2)} s = ${Math.round(batchedRate)}/s, ${Math.round(batched.walBytesPerEvent)} WAL bytes/event\n`);
    // maxBatch 1: every append commits its own transaction, the same inserts otherwise.
    const unbatched = await appendThroughStore(UNBATCHED_EVENTS, UNBATCHED_BUDGET_MS, 1);
    const unbatchedRate = unbatched.events / unbatched.seconds;
    process.stderr.write(`[bench] store: unbatched ${unbatched.events} events in ${unbatched.seconds.toFixed(2)} s = ${Math.round(unbatchedRate)}/s\n`);
    return {
      eventsPerSec: Math.round(batchedRate),
      walBytesPerEvent: round(batched.walBytesPerEvent, 1),
      baselineUnbatchedEventsPerSec: Math.round(unbatchedRate),
      batchedSpeedup: round(batchedRate / unbatchedRate, 2),
    };
  },
};
