// The gateway as a child process for the kill -9 ledger test: the real service
// (startGateway, config from VITRIN_* variables, the simulated store) plus a producer
// that commits numbered `ledger` events into the same database, LEDGER_COUNT of them
// at LEDGER_PER_SECOND, carrying on after a restart from the last number committed.
// Run with: node --import tsx tests/support/ledger-gateway.ts
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import { SqliteEventStore } from '../../adapters/sqlite/sqlite-event-store.js';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway } from '../../gateway/main.js';

const env = process.env;
const count = Number(env.LEDGER_COUNT ?? '300');
const perSecond = Number(env.LEDGER_PER_SECOND ?? '100');
const loaded = loadConfig({ env });
const dataDir = loaded.config.data.dir;
const log = pino({ level: env.VITRIN_LOG__LEVEL ?? 'warn' });

const gateway = await startGateway({ loaded, env, log });

function lastCommitted(): number {
  const db = new Database(join(dataDir, 'vitrin.db'), { readonly: true });
  try {
    const n = db.prepare("SELECT max(json_extract(payload, '$.n')) FROM events WHERE type = 'ledger'").pluck().get() as number | null;
    return n ?? 0;
  } finally {
    db.close();
  }
}

const producer = new SqliteEventStore({ dataDir, log: log.child({ module: 'ledger' }), clock: new SystemClock(), flushIntervalMs: 20 });
await producer.start();
let next = lastCommitted() + 1;
console.log(`LEDGER READY from ${next}`);
const timer = setInterval(
  () => {
    if (next > count) return;
    producer.append({ type: 'ledger', memberId: `m-ledger-${next % 5}`, at: Date.now(), payload: { n: next } });
    next += 1;
  },
  Math.max(1, Math.round(1000 / perSecond)),
);

process.once('SIGTERM', () => {
  clearInterval(timer);
  void producer
    .stop()
    .then(() => gateway.stop())
    .then(() => process.exit(0));
});
