import { EventEmitter } from 'node:events';
import type { Peripheral } from '@stoprocent/noble';
import { describe, expect, it } from 'vitest';
import { HeldPeripherals } from '../../adapters/ble-noble/held-peripherals.js';

// The hold the noble adapter keeps for devices it may read over GATT: short, capped,
// and always let go, so noble's per-address memory stays flat (noble-cache.ts).

class FakePeripheral extends EventEmitter {
  state: Peripheral['state'] = 'disconnected';
  constructor(readonly address: string) {
    super();
  }
}

const HOLD_MS = 10_000;

function setup(limit = 3) {
  const forgotten: string[] = [];
  const held = new HeldPeripherals(limit, HOLD_MS, (p) => forgotten.push(p.address));
  const make = (address: string) => new FakePeripheral(address) as unknown as Peripheral & FakePeripheral;
  return { held, forgotten, make };
}

describe('held peripherals', () => {
  it('lends a held peripheral to one read at a time and forgets it when the read is over', () => {
    const { held, forgotten, make } = setup();
    const p = make('a');
    held.hold('a', p, 0);
    const lease = held.checkout('a', 1000);
    expect(lease?.peripheral).toBe(p);
    expect(held.checkout('a', 1000)).toBeUndefined();
    lease!.release();
    expect(forgotten).toEqual(['a']);
    expect(held.has('a')).toBe(false);
    expect(held.checkout('b', 1000)).toBeUndefined();
  });

  it('lets holds lapse after their time, but never one lent to a read', () => {
    const { held, forgotten, make } = setup();
    held.hold('a', make('a'), 0);
    held.hold('b', make('b'), 0);
    held.hold('c', make('c'), 5000);
    const lease = held.checkout('a', 0);
    held.sweep(HOLD_MS + 1);
    expect(forgotten).toEqual(['b']);
    expect(held.size).toBe(2);
    expect(held.checkout('c', HOLD_MS + 5001)).toBeUndefined();
    expect(forgotten).toEqual(['b', 'c']);
    lease!.release();
    expect(held.size).toBe(0);
  });

  it('keeps at most `limit` holds, letting the oldest idle one go first', () => {
    const { held, forgotten, make } = setup(2);
    held.hold('a', make('a'), 0);
    held.hold('b', make('b'), 1);
    held.checkout('a', 2);
    held.hold('c', make('c'), 3);
    expect(forgotten).toEqual(['b']);
    held.hold('a', make('a'), 4); // a fresh report of the lent one refreshes, it does not duplicate
    expect(held.size).toBe(2);
  });

  it('a report during the read refreshes the same hold, so the release still finds and ends it', () => {
    const { held, forgotten, make } = setup();
    const p = make('a');
    held.hold('a', p, 0);
    const lease = held.checkout('a', 0)!;
    held.hold('a', p, 500);
    lease.release();
    expect(held.has('a')).toBe(false);
    expect(forgotten).toEqual(['a']);
  });

  it('waits for a link that outlived the read to go down before forgetting, unless held again', () => {
    const { held, forgotten, make } = setup();
    const p = make('a');
    held.hold('a', p, 0);
    const lease = held.checkout('a', 0)!;
    p.state = 'disconnecting';
    lease.release();
    expect(forgotten).toEqual([]);
    p.state = 'disconnected';
    p.emit('disconnect');
    expect(forgotten).toEqual(['a']);

    const q = make('b');
    held.hold('b', q, 0);
    const second = held.checkout('b', 0)!;
    q.state = 'connected';
    second.release();
    held.hold('b', q, 100); // heard again before the link went down
    q.emit('disconnect');
    expect(forgotten).toEqual(['a']);
    expect(held.has('b')).toBe(true);
  });
});
