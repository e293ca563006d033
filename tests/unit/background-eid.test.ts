import { Writable } from 'node:stream';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeAppleOverflow } from '../../gateway/ble/apple-overflow.js';
import { encodeIBeacon } from '../../gateway/ble/decode.js';
import { VitrinError } from '../../gateway/errors.js';
import { BackgroundEidReader, type BackgroundEidOptions, type IosIdentityConfig } from '../../gateway/identity/background-eid.js';
import type { Advertisement } from '../../gateway/ports.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeGattReader } from '../fakes/fake-gatt-reader.js';

const BIT = 44;
const IOS: IosIdentityConfig = {
  overflowBit: BIT,
  serviceUuid: '6A1D5E0C-8F3B-4C2E-9A7D-2B5F1E3C4D61',
  eidCharacteristicUuid: '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d62',
  maxConnections: 1,
  connectTimeoutSeconds: 5,
  retrySeconds: 30,
  banAfterFailures: 3,
  banSeconds: 3600,
};
const K = 10;
const EID = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

let clock: FakeClock;
let reader: FakeGattReader;
let heard: { ad: Advertisement; eid: string }[];
let logLines: string[];

function makeReader(overrides: Omit<Partial<BackgroundEidOptions>, 'ios'> & { ios?: Partial<IosIdentityConfig> } = {}) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const eids = new BackgroundEidReader({
    rotationExponent: K,
    reader,
    clock,
    log: pino({ level: 'debug' }, sink),
    onEid: (ad, eid) => heard.push({ ad, eid: Buffer.from(eid).toString('hex') }),
    ...overrides,
    ios: { ...IOS, ...overrides.ios },
  });
  void eids.start();
  return eids;
}

function advert(address: string, data = encodeAppleOverflow([3, BIT]), receiverId = 'rx-floor'): Advertisement {
  return { receiverId, address, addressType: 'random', rssi: -60, data, receivedAt: clock.now() };
}

/** Lets the reader's promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

beforeEach(() => {
  clock = new FakeClock();
  reader = new FakeGattReader();
  heard = [];
  logLines = [];
});

describe('background EID reads', () => {
  it('never connects to a device whose advert lacks our bit', () => {
    const eids = makeReader();
    eids.offer(advert('4a:00:00:00:00:01', encodeAppleOverflow([3, 45])));
    eids.offer(advert('4a:00:00:00:00:02', encodeAppleOverflow([])));
    eids.offer(advert('4a:00:00:00:00:03', encodeIBeacon('6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60', 1, 2, -59)));
    eids.offer(advert('4a:00:00:00:00:04', Uint8Array.from([0x14, 0xff, 0x4c, 0x00, 0x01])));
    expect(reader.requests).toEqual([]);
    expect(eids.counts()).toMatchObject({ refusedNoBit: 4, readsStarted: 0 });
  });

  it('does nothing at all when the path is off (overflowBit -1)', () => {
    const eids = makeReader({ ios: { overflowBit: -1 } });
    eids.offer(advert('4a:00:00:00:00:01'));
    expect(reader.requests).toEqual([]);
  });

  it('reads the configured characteristic once, then answers from cache until the rotation period ends', async () => {
    const eids = makeReader();
    const ad = advert('4a:00:00:00:00:01');
    eids.offer(ad);
    expect(reader.requests).toEqual([
      {
        receiverId: 'rx-floor',
        address: '4a:00:00:00:00:01',
        addressType: 'random',
        service: '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d61',
        characteristic: '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d62',
        timeoutMs: 5000,
      },
    ]);
    reader.of('4a:00:00:00:00:01').resolve(EID);
    await settle();
    expect(heard).toEqual([{ ad, eid: '0102030405060708' }]);

    const periodMs = 2 ** K * 1000;
    const toBoundary = (Math.floor(clock.now() / periodMs) + 1) * periodMs - clock.now();
    clock.advance(toBoundary - 1);
    const later = advert('4a:00:00:00:00:01');
    eids.offer(later);
    expect(reader.requests).toHaveLength(1);
    expect(heard.at(-1)).toEqual({ ad: later, eid: '0102030405060708' });

    clock.advance(1); // a new period: the phone shows a new EID, so it is read again
    eids.offer(advert('4a:00:00:00:00:01'));
    expect(reader.requests).toHaveLength(2);
    expect(eids.counts()).toMatchObject({ readsStarted: 2, readsSucceeded: 1, cacheHits: 1, inFlight: 1 });
  });

  it('keeps at most maxConnections reads in flight and skips the rest until a slot frees', async () => {
    const eids = makeReader({ ios: { maxConnections: 2 } });
    for (const n of [1, 2, 3, 4]) eids.offer(advert(`4a:00:00:00:00:0${n}`));
    expect(reader.open.map((p) => p.request.address)).toEqual(['4a:00:00:00:00:01', '4a:00:00:00:00:02']);
    // The same address again while its read is open: no second connection.
    eids.offer(advert('4a:00:00:00:00:01'));
    expect(reader.requests).toHaveLength(2);
    expect(eids.counts()).toMatchObject({ skippedBusy: 2, skippedPending: 1, inFlight: 2 });

    reader.of('4a:00:00:00:00:02').reject(new VitrinError('VITRIN_ERR_GATT_READ', 'gone'));
    await settle();
    eids.offer(advert('4a:00:00:00:00:03'));
    eids.offer(advert('4a:00:00:00:00:04'));
    expect(reader.open.map((p) => p.request.address)).toEqual(['4a:00:00:00:00:01', '4a:00:00:00:00:03']);
  });

  it('backs off from retrySeconds, doubling with each failure in a row', async () => {
    const eids = makeReader({ ios: { banAfterFailures: 10 } });
    const address = '4a:00:00:00:00:01';
    const failNext = async () => {
      reader.of(address).reject(new VitrinError('VITRIN_ERR_GATT_READ', 'timeout'));
      await settle();
    };
    eids.offer(advert(address));
    await failNext();
    for (const waitS of [30, 60, 120]) {
      clock.advance(waitS * 1000 - 1);
      eids.offer(advert(address));
      expect(reader.open).toHaveLength(0);
      clock.advance(1);
      eids.offer(advert(address));
      expect(reader.open).toHaveLength(1);
      await failNext();
    }
    expect(eids.counts()).toMatchObject({ readsStarted: 4, readsFailed: 4, skippedBackoff: 3 });

    // A success ends the backoff: after the cached period the address is read at once.
    clock.advance(240_000);
    eids.offer(advert(address));
    reader.of(address).resolve(EID);
    await settle();
    clock.advance(2 ** K * 1000);
    eids.offer(advert(address));
    expect(reader.open).toHaveLength(1);
  });

  it('bans an address for banSeconds after banAfterFailures failures in a row, then tries it again', async () => {
    const eids = makeReader();
    const address = '4a:00:00:00:00:01';
    for (const waitS of [0, 30, 60]) {
      clock.advance(waitS * 1000);
      eids.offer(advert(address));
      reader.of(address).reject(new Error('link lost'));
      await settle();
    }
    expect(eids.counts()).toMatchObject({ readsFailed: 3, bans: 1 });
    // Well past any backoff, but banned.
    clock.advance(3600_000 - 1);
    eids.offer(advert(address));
    expect(reader.open).toHaveLength(0);
    expect(eids.counts().skippedBanned).toBe(1);
    clock.advance(1);
    eids.offer(advert(address));
    expect(reader.open).toHaveLength(1);
    // Afresh after the ban: the next failure backs off from retrySeconds, not another ban.
    reader.of(address).reject(new Error('link lost'));
    await settle();
    clock.advance(30_000);
    eids.offer(advert(address));
    expect(reader.open).toHaveLength(1);
    expect(eids.counts().bans).toBe(1);
  });

  it('takes only exactly 8 bytes as an EID; anything else is a failed read', async () => {
    const eids = makeReader();
    for (const [n, value] of [[1, new Uint8Array(7)], [2, new Uint8Array(9)], [3, new Uint8Array(0)]] as const) {
      const address = `4a:00:00:00:00:0${n}`;
      eids.offer(advert(address));
      reader.of(address).resolve(value);
      await settle();
      eids.offer(advert(address));
      expect(reader.open).toHaveLength(0); // backing off, not cached
    }
    expect(heard).toEqual([]);
    expect(eids.counts()).toMatchObject({ wrongLength: 3, readsFailed: 3, readsSucceeded: 0, skippedBackoff: 3 });
  });

  it('gives the EID as its own copy, 8 bytes, even when the adapter returns a view into a bigger buffer', async () => {
    const got: Uint8Array[] = [];
    const eids = makeReader({ onEid: (_ad, eid) => got.push(eid) });
    eids.offer(advert('4a:00:00:00:00:01'));
    const big = Buffer.from('ff0102030405060708ff', 'hex');
    reader.of('4a:00:00:00:00:01').resolve(big.subarray(1, 9));
    await settle();
    big.fill(0);
    expect(Buffer.from(got[0]!).toString('hex')).toBe('0102030405060708');
    expect(got[0]!.byteLength).toBe(8);
    expect(got[0]!.buffer.byteLength).toBe(8);
  });

  it('takes back the slot of a read the adapter never settles, and counts it failed', async () => {
    const eids = makeReader();
    eids.offer(advert('4a:00:00:00:00:01'));
    clock.advance(5000 + 5000);
    expect(eids.counts()).toMatchObject({ inFlight: 0, readsFailed: 1 });
    eids.offer(advert('4a:00:00:00:00:02'));
    expect(reader.open.map((p) => p.request.address)).toEqual(['4a:00:00:00:00:01', '4a:00:00:00:00:02']);
    // The late answer changes nothing.
    reader.of('4a:00:00:00:00:01').resolve(EID);
    await settle();
    expect(heard).toEqual([]);
  });

  it('counts a reader that throws instead of rejecting as a failed read', async () => {
    const eids = makeReader({
      reader: {
        read: () => {
          throw new Error('boom');
        },
      },
    });
    eids.offer(advert('4a:00:00:00:00:01'));
    await settle();
    expect(eids.counts()).toMatchObject({ readsStarted: 1, readsFailed: 1, inFlight: 0 });
  });

  it('skips adverts heard only by receivers that cannot connect', () => {
    const eids = makeReader({ localReceivers: ['rx-floor'] });
    eids.offer(advert('4a:00:00:00:00:01', undefined, 'rx-espresense-till'));
    expect(reader.requests).toEqual([]);
    expect(eids.counts().skippedRemote).toBe(1);
  });

  it('holds at most maxAddresses addresses while thousands rotate past', async () => {
    const eids = makeReader({ maxAddresses: 100, ios: { maxConnections: 4 } });
    for (let i = 0; i < 3000; i++) {
      const address = `4a:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      eids.offer(advert(address));
      if (i % 2 === 0) reader.of(address).resolve(EID);
      else reader.of(address).reject(new Error('no'));
      await settle();
    }
    expect(eids.counts()).toMatchObject({ readsStarted: 3000, addresses: 100, inFlight: 0 });
  });

  it('logs counts and codes only: no address and no EID bytes', async () => {
    const eids = makeReader({ ios: { maxConnections: 2 } });
    eids.offer(advert('4a:bb:cc:dd:ee:01'));
    eids.offer(advert('4a:bb:cc:dd:ee:02'));
    reader.of('4a:bb:cc:dd:ee:01').resolve(EID);
    reader.of('4a:bb:cc:dd:ee:02').reject(new Error('cannot reach 4a:bb:cc:dd:ee:02'));
    await settle();
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('\n').toLowerCase();
    for (const secret of ['4a:bb:cc:dd:ee', '4abbccddee', '0102030405060708']) expect(all).not.toContain(secret);
  });

  it('survives a consumer that throws, and forgets everything on stop', async () => {
    const eids = makeReader({
      onEid: () => {
        throw new Error('pipeline bug');
      },
    });
    eids.offer(advert('4a:00:00:00:00:01'));
    reader.of('4a:00:00:00:00:01').resolve(EID);
    await settle();
    eids.offer(advert('4a:00:00:00:00:01'));
    expect(eids.counts()).toMatchObject({ readsSucceeded: 1, cacheHits: 1 });
    await eids.stop();
    expect(eids.counts().addresses).toBe(0);
    eids.offer(advert('4a:00:00:00:00:02'));
    expect(reader.requests).toHaveLength(1);
  });
});
