import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpCloudTransport } from '../../../adapters/cloud-http/http-cloud-transport.js';
import { SqliteEventStore } from '../../../adapters/sqlite/sqlite-event-store.js';
import { SqliteSyncStore } from '../../../adapters/sqlite/sqlite-sync-store.js';
import { SystemClock } from '../../../adapters/clock/system-clock.js';
import { createMetrics } from '../../../gateway/metrics.js';
import { Uplink } from '../../../gateway/sync/uplink.js';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import { TestCloud, type Behaviour } from '../../support/test-cloud.js';

// The ledger test, after the Azure IoT Edge connectivity tests: the gateway produces
// numbered events while the cloud fails (500, 503), throttles (429 with Retry-After),
// answers slowly, does not answer at all, and drops connections, before or after it
// took the batch. After the cloud recovers, every committed event has arrived, and a
// record that arrived twice came both times under the same Idempotency-Key.

const EVENTS = 1200;
const log = pino({ level: 'silent' });

/** What the cloud does with one attempt: mostly trouble while `chaos` is on. */
function chaos(random: () => number, on: () => boolean): (attempt: number) => Behaviour {
  return () => {
    if (!on()) return { kind: 'ok' };
    const roll = random();
    if (roll < 0.15) return { kind: 'status', status: 500 };
    if (roll < 0.25) return { kind: 'status', status: 503 };
    if (roll < 0.27) return { kind: 'status', status: 429, retryAfter: '1' };
    if (roll < 0.4) return { kind: 'delay', ms: 150 + Math.floor(random() * 300) };
    if (roll < 0.42) return { kind: 'hang' };
    if (roll < 0.58) return { kind: 'drop', afterKeeping: false };
    if (roll < 0.75) return { kind: 'drop', afterKeeping: true };
    return { kind: 'ok' };
  };
}

describe('uplink ledger against a failing cloud', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-ledger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every numbered event at least once, duplicates only under one key', async () => {
    let chaotic = true;
    const random = seededRandom(20261123);
    const cloud = new TestCloud({ behave: chaos(random, () => chaotic) });
    await cloud.start();
    const clock = new SystemClock();
    const dataDir = join(dir, 'data');
    const events = new SqliteEventStore({ dataDir, log, clock });
    const outbox = new SqliteSyncStore({ dataDir, log });
    const transport = new HttpCloudTransport({ url: `${cloud.url}/api`, tls: { cert: '', key: '', ca: '' } });
    await events.start();
    await outbox.start();
    await transport.start();
    const metrics = createMetrics({ mqttConnected: () => true, outboxDepth: () => outbox.stats().depth });
    const uplink = new Uplink({
      outbox,
      transport,
      storeId: 'ledger-store',
      gatewayVersion: 'test',
      token: 'ledger-token',
      settings: { batchMaxRecords: 20, batchMaxAgeSeconds: 0, requestTimeoutSeconds: 1, diskCapMb: 64 },
      metrics,
      clock,
      log,
      backoff: { baseMs: 10, maxMs: 150 },
      random: seededRandom(7),
    });

    const started = Date.now();
    let produced = 0;
    const producer = setInterval(() => {
      for (let i = 0; i < 2 && produced < EVENTS; i++) {
        produced += 1;
        events.append({ type: 'ledger', memberId: `m-${produced % 7}`, at: Date.now(), payload: { n: produced } });
      }
    }, 5);
    const ticker = setInterval(() => void uplink.tick()?.catch(() => undefined), 25);
    try {
      while (produced < EVENTS) await new Promise((resolve) => setTimeout(resolve, 50));
      events.flush();
      // Trouble for six seconds in all, then the cloud recovers.
      while (Date.now() - started < 6_000) await new Promise((resolve) => setTimeout(resolve, 50));
      chaotic = false;
      const deadline = Date.now() + 30_000;
      while (outbox.stats().depth > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      clearInterval(producer);
      clearInterval(ticker);
      await uplink.idle();
    }
    const seconds = (Date.now() - started) / 1000;
    expect(outbox.stats().depth).toBe(0);

    // Committed: read from the database file itself.
    const db = new Database(join(dataDir, 'vitrin.db'), { readonly: true });
    const committed = db.prepare("SELECT o.idempotency_key AS id, e.payload FROM events e JOIN outbox o ON o.event_id = e.id WHERE e.type = 'ledger'").all() as { id: string; payload: string }[];
    db.close();
    expect(committed.map((r) => (JSON.parse(r.payload) as { n: number }).n).sort((a, b) => a - b)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));

    const kept = cloud.kept();
    for (const row of committed) expect(kept.has(row.id), `record ${row.id} arrived`).toBe(true);
    // Nothing arrived that was not committed, and no number under two ids.
    expect([...kept.keys()].every((id) => committed.some((r) => r.id === id))).toBe(true);
    const duplicated = [...kept.values()].filter((r) => cloud.batches.filter((b) => b.kept && b.records.some((x) => x.payload.n === r.payload.n)).length > 1);
    for (const record of kept.values()) expect(record.keys.size, 'every delivery of a record carries the same Idempotency-Key').toBe(1);
    expect(cloud.batches.every((b) => b.authorization === 'Bearer ledger-token' && b.key === b.batchId)).toBe(true);

    const failures = cloud.batches.length - new Set(cloud.batches.map((b) => b.key)).size;
    console.log(JSON.stringify({ ledger: { events: EVENTS, attempts: cloud.batches.length, retries: failures, duplicatedRecords: duplicated.length, seconds } }));
    expect(failures).toBeGreaterThan(20);
    expect(duplicated.length).toBeGreaterThan(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/vitrin_uplink_records_total \d+/);
    expect(text).toMatch(/vitrin_uplink_requests_total\{outcome="throttled"\} \d+/);

    await transport.close();
    await outbox.stop();
    await events.stop();
    await cloud.stop();
  }, 60_000);
});
