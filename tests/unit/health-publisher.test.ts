import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HealthV1 } from '../../gateway/contracts/health.js';
import { contractChecker } from '../../gateway/contracts/validator.js';
import { HealthPublisher, type HealthSnapshot } from '../../gateway/mqtt/health-publisher.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { MemoryBus } from '../fakes/memory-bus.js';

const TOPIC = 'vitrin/s1/gateway/health';

function snapshot(overrides: Partial<HealthSnapshot> = {}): HealthSnapshot {
  return {
    storeId: 's1',
    status: 'ready',
    checks: { broker: true, database: true, model: true, radio: true },
    version: '0.1.0',
    simulated: false,
    uptimeSeconds: 0,
    members: 10,
    present: 0,
    outboxDepth: 0,
    model: { id: 'propensity', version: '2.0.0', sha256: 'ab'.repeat(32) },
    ...overrides,
  };
}

async function setup(everyMs = 30_000) {
  const clock = new FakeClock();
  const bus = new MemoryBus();
  await bus.start();
  let current = snapshot();
  const publisher = new HealthPublisher({ bus, topic: TOPIC, snapshot: () => current, everyMs, clock, log: pino({ level: 'silent' }) });
  await publisher.start();
  const set = (next: Partial<HealthSnapshot>) => (current = snapshot({ ...current, ...next }));
  /** Lets the publish the timer started settle. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await Promise.resolve();
    await Promise.resolve();
  };
  return { clock, bus, publisher, set, advance, sent: () => bus.published.filter((p) => p.topic === TOPIC) };
}

describe('gateway/health', () => {
  it('publishes retained at QoS 1 at start, in the vitrin.health/1 schema', async () => {
    const { sent } = await setup();
    expect(sent()).toHaveLength(1);
    const [first] = sent();
    expect(first!.options).toMatchObject({ qos: 1, retain: true });
    const payload = JSON.parse(first!.payload) as unknown;
    expect(contractChecker(HealthV1)(payload)).toEqual([]);
    expect(payload).toMatchObject({ schema: 'vitrin.health/1', status: 'ready', at: '2026-11-23T10:00:00.000Z' });
  });

  it('publishes again every period, and within a second of a change of status or check, but not for counters', async () => {
    const { set, advance, sent } = await setup(30_000);
    set({ present: 3, uptimeSeconds: 5 });
    await advance(5_000);
    expect(sent()).toHaveLength(1);
    set({ status: 'not-ready', checks: { broker: true, database: true, model: true, radio: false } });
    await advance(1_000);
    expect(sent()).toHaveLength(2);
    expect(JSON.parse(sent()[1]!.payload)).toMatchObject({ status: 'not-ready', checks: { radio: false }, present: 3 });
    await advance(29_000);
    expect(sent()).toHaveLength(2);
    await advance(1_000);
    expect(sent()).toHaveLength(3);
  });

  it('waits while the broker is away and publishes when it is back; stops on stop', async () => {
    const { bus, publisher, advance, sent } = await setup(30_000);
    bus.setConnected(false);
    await advance(60_000);
    expect(sent()).toHaveLength(1);
    bus.setConnected(true);
    await advance(1_000);
    expect(sent()).toHaveLength(2);
    await publisher.stop();
    await advance(120_000);
    expect(sent()).toHaveLength(2);
  });
});
