import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import { TestCloud, type ReceivedBatch } from '../support/test-cloud.js';

// Kill -9 mid-batch: the real gateway runs as a child process producing numbered
// events; the cloud takes the third batch and holds the request open, and the gateway
// is killed with SIGKILL while that batch is in flight. Restarted on the same data
// folder, it sends the batch again under the same Idempotency-Key and goes on; in the
// end every committed event has arrived, and duplicates share their key.

const COUNT = 400;

interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      let value: T | undefined;
      try {
        value = check();
      } catch (err) {
        clearInterval(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (value !== undefined) {
        clearInterval(timer);
        resolve(value);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 25);
  });
}

describe('kill -9 the gateway mid-batch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-sync-kill-'));
  const dataDir = join(dir, 'data');
  const children: Child[] = [];
  let cloud: TestCloud | undefined;

  afterAll(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(url: string): Child {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/ledger-gateway.ts'], {
      cwd: PACKAGE_ROOT,
      env: {
        PATH: process.env.PATH,
        VITRIN_DATA__DIR: dataDir,
        VITRIN_HTTP__HOST: '127.0.0.1',
        VITRIN_HTTP__PORT: '0',
        VITRIN_MQTT__EMBEDDED__PORT: '0',
        VITRIN_BLE__SOURCE: 'simulator',
        VITRIN_LOG__LEVEL: 'warn',
        VITRIN_CLOUD__URL: url,
        VITRIN_CLOUD__TOKEN: 'kill-test-token',
        VITRIN_CLOUD__UPLINKCRON: '* * * * * *',
        VITRIN_CLOUD__BATCHMAXRECORDS: '25',
        VITRIN_CLOUD__BATCHMAXAGESECONDS: '0',
        LEDGER_COUNT: String(COUNT),
        LEDGER_PER_SECOND: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = { process: child, output: () => output, exited };
    children.push(started);
    return started;
  }

  function ledger(): { committed: { id: string; n: number }[]; waiting: number } {
    const db = new Database(join(dataDir, 'vitrin.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT o.idempotency_key AS id, json_extract(e.payload, '$.n') AS n, o.sent_at FROM events e JOIN outbox o ON o.event_id = e.id WHERE e.type = 'ledger'").all() as { id: string; n: number; sent_at: number | null }[];
      return { committed: rows.map((r) => ({ id: r.id, n: r.n })), waiting: rows.filter((r) => r.sent_at === null).length };
    } finally {
      db.close();
    }
  }

  it('loses nothing and duplicates only under the batch key', async () => {
    let held: ReceivedBatch | undefined;
    let attempts = 0;
    cloud = new TestCloud({
      // The third batch is taken and never answered: it is in flight when the gateway dies.
      behave: () => ((attempts += 1) === 3 ? { kind: 'hang' } : { kind: 'ok' }),
      onBatch: (batch) => {
        if (attempts === 3) held = batch;
      },
    });
    await cloud.start();
    const first = start(cloud.url);
    const ready = (child: Child) => () => {
      if (child.process.exitCode !== null) throw new Error(`the gateway exited: ${child.output()}`);
      return child.output().includes('LEDGER READY') ? true : undefined;
    };
    await waitFor('the gateway to start', 30_000, ready(first));
    const inFlight = await waitFor('a batch held open by the cloud', 20_000, () => held);
    first.process.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const beforeRestart = ledger();
    expect(beforeRestart.committed.length).toBeGreaterThan(0);
    expect(beforeRestart.committed.length).toBeLessThan(COUNT);

    const second = start(cloud.url);
    await waitFor('the gateway to start again', 30_000, ready(second));
    await waitFor(`all ${COUNT} events committed and delivered`, 30_000, () => {
      const now = ledger();
      return now.committed.length >= COUNT && now.waiting === 0 ? true : undefined;
    });
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const { committed } = ledger();
    // Events queued but not committed when the process died were never acknowledged; the producer numbers on from the last committed one.
    expect(committed.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1));
    const kept = cloud.kept();
    for (const row of committed) expect(kept.has(row.id), `event ${row.n} arrived`).toBe(true);
    for (const record of kept.values()) expect(record.keys.size).toBe(1);
    // The batch in flight at the kill came again after the restart, under its key, with the same records.
    const again = cloud.batches.filter((b) => b.key === inFlight.key);
    expect(again.length).toBeGreaterThanOrEqual(2);
    expect(again.at(-1)!.records.map((r) => r.id)).toEqual(inFlight.records.map((r) => r.id));
    expect(cloud.batches.every((b) => b.authorization === 'Bearer kill-test-token')).toBe(true);
  }, 60_000);
});
