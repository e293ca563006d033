import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { MqttBus } from '../../adapters/mqtt/mqtt-bus.js';
import { loadOnnxScorer } from '../../adapters/onnx/onnx-scorer.js';
import { CardFlow } from '../../gateway/cards/card-flow.js';
import { LiveFeed } from '../../gateway/cards/live-feed.js';
import { PosDelivery } from '../../gateway/cards/pos-delivery.js';
import { DEMO_CATALOG } from '../../gateway/catalog/demo-catalog.js';
import { StoreCatalog } from '../../gateway/catalog/store-catalog.js';
import { loadConfig } from '../../gateway/config/load.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { createMetrics } from '../../gateway/metrics.js';
import { topicsFor } from '../../gateway/mqtt/topics.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import type { Clock, EventStore } from '../../gateway/ports.js';
import type { Benchmark } from './benchmark.js';

// Moment to card: a member's `dwelling` moment at a till goes through the real card
// flow (policy, candidates, ONNX scoring with the shipped model, the card, the present
// list) and out through the gateway's MqttBus to Debian's Mosquitto, to a POS
// terminal subscribed to its cards topic. Latency is taken from the moment's hand-off
// to the terminal's 'message' event, at a steady rate, TCP_NODELAY on every hop. In the
// same run, the baseline: a card-sized payload published straight through the same
// broker to the same subscriber.

const RATE_PER_SEC = 100;
const CARDS = 1_000;
const STORE = 'bench-store';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

async function startMosquitto(): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-card-bench-'));
  const conf = join(dir, 'mosquitto.conf');
  const user = process.getuid?.() === 0 ? ['user root'] : [];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'set_tcp_nodelay true', ...user, ''].join('\n'));
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return { port, child, dir };
    if (Date.now() > deadline) throw new Error('Mosquitto did not start (apt-get install mosquitto)');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
};

/** Events are counted, not stored: the SQLite store has its own benchmark. */
const countingStore: EventStore = {
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  append: () => undefined,
  flush: () => 0,
  recentEvents: () => [],
  outboxDepth: () => 0,
  eraseMember: () => 0,
  isOpen: () => true,
  isWritable: () => true,
};

export const cardBenchmark: Benchmark = {
  name: 'card',
  async run() {
    const progress = (line: string) => process.stderr.write(`  ${line}\n`);
    const log = pino({ level: 'silent' });
    const mosquitto = await startMosquitto();
    const url = `mqtt://127.0.0.1:${mosquitto.port}`;
    const config = loadConfig({ env: { VITRIN_STORE__ID: STORE } }).config;
    const topics = topicsFor(STORE);
    const bus = new MqttBus({ url, clientId: 'bench-gateway', protocolVersion: 5, will: { topic: topics.state, payload: 'offline', qos: 1, retain: true }, log, connectTimeoutMs: 5000, reconnectPeriodMs: 1000 });
    let terminal: MqttClient | undefined;
    try {
      await bus.start();
      terminal = await mqtt.connectAsync(url, { clientId: 'pos.till-1', protocolVersion: 5 });
      (terminal as unknown as { stream: { setNoDelay(on: boolean): void } }).stream.setNoDelay(true);
      const arrived = new Map<string, number>();
      terminal.on('message', (_topic, payload) => {
        const at = performance.now();
        const text = payload.toString();
        const match = /"memberId":"([^"]+)"/.exec(text);
        if (match !== null && !arrived.has(match[1]!)) arrived.set(match[1]!, at);
      });
      await terminal.subscribeAsync(topics.cards('till-1'), { qos: 1 });

      const roster = demoRoster(11, CARDS, 10);
      const members = new Map(roster.members.map((m) => [m.id, m]));
      const scorer = await loadOnnxScorer(join(PACKAGE_ROOT, 'models', 'propensity'), log);
      const catalog = new StoreCatalog(DEMO_CATALOG);
      const cards = new CardFlow({
        settings: { ...config, cards: { ...config.cards, dailyCap: 0 } },
        catalog: () => catalog,
        members: (id) => members.get(id),
        scorer,
        pos: new PosDelivery(bus, topics, config.terminals),
        live: new LiveFeed(),
        store: countingStore,
        metrics: createMetrics({ mqttConnected: () => true, outboxDepth: () => 0 }),
        clock: systemClock,
        log,
      });

      // The baseline first: the same broker and subscriber, a card-sized payload, no card flow.
      const baselinePayload = (i: number) => JSON.stringify({ memberId: `baseline-${i}`, padding: 'x'.repeat(900) });
      const baselineSent = new Map<string, number>();
      for (let i = 0; i < 300; i++) {
        const id = `baseline-${i}`;
        baselineSent.set(id, performance.now());
        await bus.publish(topics.cards('till-1'), baselinePayload(i), { qos: 1 });
        await new Promise((r) => setTimeout(r, 1000 / RATE_PER_SEC));
      }
      await new Promise((r) => setTimeout(r, 200));
      const baseline = [...baselineSent].map(([id, sent]) => (arrived.get(id) ?? Number.NaN) - sent).filter(Number.isFinite).sort((a, b) => a - b);

      const sent = new Map<string, number>();
      const started = performance.now();
      let i = 0;
      for (const member of roster.members.filter((m) => !m.holdout)) {
        const due = started + (i++ * 1000) / RATE_PER_SEC;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const now = Date.now();
        sent.set(member.id, performance.now());
        void cards.handle({ kind: 'dwelling', memberId: member.id, zoneId: 'pos-1', since: now - 6000, at: now });
      }
      await cards.drain();
      const deadline = Date.now() + 5000;
      while ([...sent.keys()].some((id) => !arrived.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const elapsed = (Math.max(...arrived.values()) - started) / 1000;
      const latencies = [...sent].map(([id, at]) => (arrived.get(id) ?? Number.NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
      await scorer.stop();
      const lost = sent.size - latencies.length;
      progress(`${latencies.length} cards of ${sent.size} at ${RATE_PER_SEC}/s; p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms; bare publish p50 ${percentile(baseline, 0.5).toFixed(2)} ms, p99 ${percentile(baseline, 0.99).toFixed(2)} ms`);
      const round2 = (v: number) => Math.round(v * 100) / 100;
      return {
        p50Ms: round2(percentile(latencies, 0.5)),
        p99Ms: round2(percentile(latencies, 0.99)),
        perSec: Math.round(latencies.length / elapsed),
        lost,
        baselineP50Ms: round2(percentile(baseline, 0.5)),
        baselineP99Ms: round2(percentile(baseline, 0.99)),
      };
    } finally {
      await terminal?.endAsync(true);
      await bus.stop();
      mosquitto.child.kill();
      rmSync(mosquitto.dir, { recursive: true, force: true });
    }
  },
};
