import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { CaptureSummary, type CaptureSummaryJson } from '../../gateway/ble/capture-summary.js';
import { loadConfig, type LoadedConfig } from '../../gateway/config/load.js';
import { createRootLogger } from '../../gateway/log.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { crowdCapture } from '../support/crowd-capture.js';
import { addressNeedles, describeHit, joinedHaystack, search, traceNeedles, type Haystack, type Needle } from '../support/needle-search.js';

// DESIGN section 3 and 7: whatever does not resolve to a member is dropped at the
// resolve stage; no address, RSSI or payload of a non-member is stored, logged or
// sent anywhere, and only counters survive. The real gateway replays a capture full
// of strangers (as `vitrin replay` does, in a sandbox), logging at trace level into
// memory, while an MQTT client records everything it publishes; then the database
// files, the logs, the MQTT traffic and the HTTP answers are searched for every
// stranger's addresses and payloads in every spelling.

const STORE = 'vitrin/demo-store/';
const RECEIVER = 'rx-pos-1';

interface Received {
  readonly topic: string;
  readonly payload: Buffer;
}

const capture = crowdCapture();
const unresolved = capture.reports.filter((r) => r.memberId === undefined);
/** What the replay hands on: a long extended advertisement's fragments joined into one report. */
const advertisements = capture.reports.filter((r) => r.fed).length;

function dataFiles(dir: string, when: string): Haystack[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => ({ name: `${when}: ${name}`, bytes: readFileSync(join(dir, name)) }));
}

function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const value = check();
      if (value !== undefined) {
        clearInterval(timer);
        resolve(value);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

/** `vitrin replay`'s sandbox, with the test's broker instead of an embedded one and every log level on. */
function sandboxed(loaded: LoadedConfig, dataDir: string, mqttUrl: string): LoadedConfig {
  const { config } = loaded;
  return {
    files: loaded.files,
    config: {
      ...config,
      mqtt: { ...config.mqtt, url: mqttUrl, username: '', password: '' },
      http: { ...config.http, host: '127.0.0.1', port: 0 },
      data: { ...config.data, dir: dataDir },
      log: { level: 'trace' },
    },
  };
}

function advertisementCounts(metrics: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [, result, value] of metrics.matchAll(/^vitrin_advertisements_total\{result="([^"]+)"\} (\d+)$/gm)) counts[result!] = Number(value);
  return counts;
}

describe('a capture full of strangers leaves nothing behind but counters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-stranger-test-'));
  const dataDir = join(dir, 'data');
  const logLines: string[] = [];
  const received: Received[] = [];
  const summary = new CaptureSummary();
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }) });
  let observer: MqttClient | undefined;
  let gateway: RunningGateway | undefined;
  let metrics = '';
  let advisorCards = '';
  const whileRunning: Haystack[] = [];
  const afterStop: Haystack[] = [];

  beforeAll(async () => {
    const file = join(dir, 'crowd.btsnoop');
    writeFileSync(file, capture.bytes);
    mkdirSync(dataDir);
    await broker.start();
    const mqttUrl = `mqtt://127.0.0.1:${broker.address().port}`;
    // Subscribed before the gateway starts: a replay at speed 0 feeds its first reports while the gateway is still starting.
    observer = await mqtt.connectAsync(mqttUrl, { clientId: 'stranger-test-observer', reconnectPeriod: 0 });
    observer.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }));
    await observer.subscribeAsync('#', { qos: 1 });

    const log = createRootLogger('trace', { write: (line: string) => void logLines.push(line) });
    const loaded = sandboxed(loadConfig({ env: {} }), dataDir, mqttUrl);
    gateway = await startGateway({ loaded, env: {}, log, replay: { file, speed: 0, receiverId: RECEIVER, observer: summary } });
    const outcome = await gateway.replayFinished;
    expect(outcome).toEqual({ reports: advertisements, problem: undefined });
    // The first member's card reaches the till; then one more store flush (50 ms) and the WAL holds the events.
    await waitFor('a card on till-1', 10_000, () => received.find((m) => m.topic === `${STORE}pos/till-1/cards` && m.payload.includes('"type":"card"')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    metrics = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    // A paired tablet's view (demo mode: the admin API answers this machine without a token).
    const made = (await (await fetch(`${gateway.httpUrl}/admin/pairing-codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ zones: ['entrance', 'floor', 'pos-1'] }) })).json()) as { code: string };
    const paired = await fetch(`${gateway.httpUrl}/advisor/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: made.code }) });
    const cookie = paired.headers.get('set-cookie')!.split(';')[0]!;
    advisorCards = await (await fetch(`${gateway.httpUrl}/advisor/cards`, { headers: { cookie } })).text();
    whileRunning.push(...dataFiles(dataDir, 'data dir while running'));
    await gateway.stop();
    await waitFor('gateway/state offline', 5_000, () => received.find((m) => m.topic === `${STORE}gateway/state` && m.payload.toString() === 'offline'));
    afterStop.push(...dataFiles(dataDir, 'data dir after stop'));
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await observer?.endAsync(true);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the needles are real: every stranger address and payload is in the capture as it travels', () => {
    const air: Haystack = { name: 'the capture', bytes: Buffer.from(capture.bytes) };
    expect(capture.strangers.length).toBeGreaterThanOrEqual(30);
    for (const stranger of capture.strangers) {
      // HCI carries addresses little-endian; payload fields travel as they are.
      const onAir = [
        ...stranger.addresses.flatMap((a) => addressNeedles(stranger.label, a)).filter((n) => n.spelling === 'raw bytes reversed'),
        ...stranger.traces.filter((t) => typeof t.value !== 'string').flatMap((t) => traceNeedles(stranger.label, t)).filter((n) => n.spelling === 'raw bytes'),
      ];
      expect(onAir.length).toBeGreaterThan(0);
      const found = new Set(search(onAir, [air]).map((hit) => hit.needle));
      expect(onAir.filter((n) => !found.has(n)).map((n) => `${n.owner}: ${n.what}`)).toEqual([]);
    }
  });

  it('recognised the members: their pseudonymous ids are in the database and a card went to the till', () => {
    const db = new Database(join(dataDir, 'vitrin.db'), { readonly: true });
    const events = db.prepare<[], { type: string; member_id: string | null }>('SELECT type, member_id FROM events').all();
    db.close();
    const memberIds = capture.members.map((m) => m.id);
    expect(new Set(events.map((e) => e.member_id))).toEqual(new Set(memberIds));
    for (const id of memberIds) {
      expect(events.filter((e) => e.member_id === id).map((e) => e.type)).toEqual(expect.arrayContaining(['entered-store', 'entered-zone', 'dwelling']));
    }
    expect(events).toContainEqual({ type: 'card-shown', member_id: memberIds[0] });
    const cards = received.filter((m) => m.topic === `${STORE}pos/till-1/cards`).map((m) => JSON.parse(m.payload.toString()) as { memberId: string });
    expect(cards.map((c) => c.memberId)).toContain(memberIds[0]);
    expect(received.map((m) => m.topic)).toEqual(expect.arrayContaining([`${STORE}gateway/state`, `${STORE}gateway/info`, `${STORE}pos/till-1/present`]));
  });

  it('kept the counters: seen, dropped and by frame type, in /metrics and the replay summary', () => {
    const counts = advertisementCounts(metrics);
    const fedUnresolved = unresolved.filter((r) => r.fed).length;
    expect(counts['member']).toBe(capture.reports.filter((r) => r.memberId !== undefined).length);
    expect(counts['stranger']).toBeGreaterThan(0);
    expect(counts['other']).toBeGreaterThan(0);
    expect((counts['stranger'] ?? 0) + (counts['other'] ?? 0)).toBe(fedUnresolved);
    expect(counts['ambiguous'] ?? 0).toBe(0);

    const json: CaptureSummaryJson = summary.toJSON();
    expect(json).toMatchObject({ advertisingReports: advertisements, members: 3, dropped: fedUnresolved });
    expect(json.legacyReports).toBeGreaterThan(0);
    expect(json.extendedReports).toBeGreaterThan(0);
    expect(Object.keys(json.frames)).toEqual(
      expect.arrayContaining(['ibeacon', 'altbeacon', 'apple-overflow', 'eddystone-uid', 'eddystone-url', 'eddystone-tlm', 'eddystone-etlm', 'eddystone-eid', 'manufacturer', 'service']),
    );
  });

  it('finds no address or payload of a stranger, and no member device address, in the database, logs, MQTT or HTTP', () => {
    const haystacks: Haystack[] = [
      ...whileRunning,
      ...afterStop,
      joinedHaystack('the log', logLines.map((line, i) => ({ label: `log line ${i + 1}`, bytes: Buffer.from(line) }))),
      joinedHaystack('MQTT', received.map((m, i) => ({ label: `message ${i + 1} on ${m.topic}`, bytes: Buffer.concat([Buffer.from(`${m.topic}\n`), m.payload]) }))),
      { name: 'GET /metrics', bytes: Buffer.from(metrics) },
      { name: 'GET /advisor/cards', bytes: Buffer.from(advisorCards) },
      { name: 'the replay summary', bytes: Buffer.from(JSON.stringify(summary.toJSON())) },
    ];
    // The search looks at real data: the database holds events, the log is at trace level, cards went out.
    expect(whileRunning.map((h) => h.name)).toEqual(expect.arrayContaining(['data dir while running: vitrin.db', 'data dir while running: vitrin.db-wal']));
    expect(afterStop.map((h) => h.name)).toContain('data dir after stop: vitrin.db');
    expect(gateway?.log.isLevelEnabled('trace')).toBe(true);
    expect(logLines.some((l) => l.includes('"level":20'))).toBe(true);
    const memberId = capture.members[0]!.id;
    const control: Needle[] = [{ owner: 'control', what: 'member id', spelling: 'text', bytes: Buffer.from(memberId) }];
    expect(search(control, haystacks).map((h) => h.haystack)).toEqual(
      expect.arrayContaining(['data dir while running: vitrin.db-wal', 'data dir after stop: vitrin.db', 'MQTT', 'GET /advisor/cards']),
    );

    const needles = [
      ...capture.strangers.flatMap((s) => [...s.addresses.flatMap((a) => addressNeedles(s.label, a)), ...s.traces.flatMap((t) => traceNeedles(s.label, t))]),
      ...capture.members.flatMap((m) => [...addressNeedles(`member ${m.id}`, m.address), ...m.traces.flatMap((t) => traceNeedles(`member ${m.id}`, t))]),
    ];
    expect(needles.length).toBeGreaterThan(2000);
    expect(search(needles, haystacks).map(describeHit)).toEqual([]);
  });
});
