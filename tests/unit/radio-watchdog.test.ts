import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RadioWatchdog, type WatchdogAction } from '../../gateway/ble/radio-watchdog.js';
import type { RadioControl, RadioState } from '../../gateway/ports.js';
import { FakeClock } from '../fakes/fake-clock.js';

class FakeRadio implements RadioControl {
  readonly receiverId = 'rx-floor';
  readonly calls: string[] = [];
  current: RadioState = 'scanning';
  state(): RadioState {
    return this.current;
  }
  restartScan(): Promise<void> {
    this.calls.push('restart-scan');
    return Promise.resolve();
  }
  resetAdapter(): Promise<void> {
    this.calls.push('reset-adapter');
    return Promise.resolve();
  }
}

async function setup() {
  const clock = new FakeClock();
  const radio = new FakeRadio();
  const actions: WatchdogAction[] = [];
  const watchdog = new RadioWatchdog({ radio, silenceMs: 30_000, clock, log: pino({ level: 'silent' }), onAction: (a) => actions.push(a) });
  await watchdog.start();
  /** Advances fake time in steps, letting each action's promise settle. */
  const pass = async (ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      clock.advance(1000);
      await Promise.resolve();
    }
  };
  return { clock, radio, watchdog, actions, pass };
}

describe('radio watchdog', () => {
  it('leaves a radio that keeps hearing advertisements alone', async () => {
    const { watchdog, radio, pass } = await setup();
    for (let i = 0; i < 10; i++) {
      await pass(20_000);
      watchdog.heard();
    }
    expect(radio.calls).toEqual([]);
  });

  it('restarts scanning after the silence, then resets the adapter, then resets again each period', async () => {
    const { radio, actions, pass } = await setup();
    await pass(31_000);
    expect(radio.calls).toEqual(['restart-scan']);
    await pass(30_000);
    expect(radio.calls).toEqual(['restart-scan', 'reset-adapter']);
    await pass(60_000);
    expect(radio.calls).toEqual(['restart-scan', 'reset-adapter', 'reset-adapter']);
    expect(actions).toEqual(radio.calls);
  });

  it('starts over once the radio is heard again, and does nothing to a stopped radio', async () => {
    const { radio, watchdog, pass } = await setup();
    await pass(31_000);
    watchdog.heard();
    await pass(29_000);
    expect(radio.calls).toEqual(['restart-scan']);
    radio.current = 'stopped';
    await pass(120_000);
    expect(radio.calls).toEqual(['restart-scan']);
  });
});
