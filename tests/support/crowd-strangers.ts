import { randomBytes } from '../../adapters/simulator/random.js';
import { strangerAdvertisingData } from '../../adapters/simulator/strangers.js';
import { encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';
import type { ReportAddressType } from '../../gateway/ble/hci-events.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { APP_UUID } from './store-capture.js';

// Who else a shop floor hears, one spec per device: phones, watches and laptops,
// other systems' beacons of every format, names in scan responses, long and
// fragmented extended advertising, malformed data. Each spec lists the distinctive
// things it puts on the air (traces), so a test can look for them everywhere.

/** Something a device put on the air. Bytes in the order they travel, unless `uuid` says otherwise. */
export interface Trace {
  readonly what: string;
  readonly value: Uint8Array | string;
  /** 16 bytes that people also write as a dashed UUID (in either byte order). */
  readonly uuid?: boolean;
}

export interface Emission {
  readonly kind: 'legacy' | 'extended';
  readonly eventType: number;
  readonly data: Uint8Array;
  readonly fed?: boolean;
}

export interface StrangerSpec {
  readonly label: string;
  readonly addressType: ReportAddressType;
  readonly address: () => string;
  /** Apple continuity rotates its address; a new one every this many seconds. */
  readonly rotateEverySeconds?: number;
  readonly traces: Trace[];
  emit(atMs: number): Emission[];
}

// Legacy event types, and the extended event type bits (Core v5.4 Vol 4 Part E 7.7.65.13).
const ADV_IND = 0;
export const ADV_NONCONN_IND = 3;
export const SCAN_RSP = 4;
const EXT_NONCONN = 0x0000;
const EXT_INCOMPLETE = 0x0020;
const EXT_LEGACY_ADV_IND = 0x0013;
export const EXT_LEGACY_NONCONN = 0x0010;
const EXT_LEGACY_SCAN_RSP = 0x001b;

const FLAGS = [0x02, 0x01, 0x06];
const ESTIMOTE_UUID = 'b9407f30-f5f8-466e-aff9-25556b57fe6d';
const KONTAKT_UUID = 'f7826da6-4fa2-4e98-8024-bc5b71e0893e';

export const ad = (type: number, body: ArrayLike<number>): number[] => [body.length + 1, type, ...Array.from(body)];
export const u8 = (...parts: ArrayLike<number>[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const uuidBytes = (uuid: string): Uint8Array => Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
export const utf8Bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'utf8'));

function addressOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Top two bits: 01 resolvable private, 11 static random, 00 non-resolvable private. */
export function randomAddressOf(random: () => number, topBits: number): string {
  const bytes = randomBytes(random, 6);
  bytes[0] = (bytes[0]! & 0x3f) | (topBits << 6);
  return addressOf(bytes);
}

function publicAddressOf(random: () => number, oui: number[]): string {
  return addressOf(u8(oui, randomBytes(random, 3)));
}

function legacy(data: Uint8Array, eventType = ADV_NONCONN_IND): Emission {
  return { kind: 'legacy', eventType, data };
}

function extended(data: Uint8Array, eventType = EXT_NONCONN, fed = true): Emission {
  return { kind: 'extended', eventType, data, fed };
}

/** Manufacturer data whose payload (company id and body) is itself a trace. */
function manufacturer(companyId: number, body: Uint8Array): { data: number[]; payload: Uint8Array } {
  const payload = u8([companyId & 0xff, companyId >> 8], body);
  return { data: ad(0xff, payload), payload };
}

function phoneSpecs(random: () => number): StrangerSpec[] {
  const specs: StrangerSpec[] = [];
  const appleFrame = (label: string, type: number, body: Uint8Array, topBits = 1, rotate?: number) => {
    const m = manufacturer(0x004c, u8([type, body.length], body));
    // AirPods and AirTags fill all 31 bytes and send no flags.
    const data = m.data.length + 3 <= 31 ? u8(FLAGS.slice(0, 2), [0x1a], m.data) : u8(m.data);
    specs.push({
      label,
      addressType: 'random',
      address: () => randomAddressOf(random, topBits),
      ...(rotate === undefined ? {} : { rotateEverySeconds: rotate }),
      traces: [{ what: 'Apple continuity payload', value: m.payload }],
      emit: () => [legacy(data, ADV_IND)],
    });
  };
  appleFrame('iPhone nearby info (rotating address)', 0x10, u8([0x05, 0x1c], randomBytes(random, 4)), 1, 4);
  appleFrame('iPhone handoff', 0x0c, u8([0x00], randomBytes(random, 13)));
  appleFrame('AirPods proximity pairing', 0x07, u8([0x01, 0x0e, 0x20], randomBytes(random, 22)));
  appleFrame('AirTag Find My', 0x12, u8([0x10], randomBytes(random, 22), [0x01, 0x00]), 3);
  appleFrame('Mac AirDrop', 0x05, u8([0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01], randomBytes(random, 8), [0x00]));

  // iOS in the background, another app's service bits in Apple's overflow area (never the app's bit 44).
  const bitmap = new Uint8Array(16);
  for (const bit of [3, 17, 29, 58, 71, 90, 101, 126]) bitmap[bit >> 3] = bitmap[bit >> 3]! | (0x80 >> (bit & 7));
  const overflow = manufacturer(0x004c, u8([0x01], bitmap));
  specs.push({
    label: 'iPhone in the background (overflow area)',
    addressType: 'random',
    address: () => randomAddressOf(random, 1),
    traces: [{ what: 'overflow area', value: overflow.payload }],
    emit: () => [legacy(u8(FLAGS, overflow.data), ADV_IND)],
  });

  const cdp = manufacturer(0x0006, u8([0x01, 0x09, 0x20, 0x02], randomBytes(random, 21)));
  specs.push({
    label: 'Windows laptop (Microsoft CDP)',
    addressType: 'random',
    address: () => randomAddressOf(random, 0),
    traces: [{ what: 'Microsoft CDP payload', value: cdp.payload }],
    emit: () => [legacy(u8(cdp.data))],
  });
  const tag = manufacturer(0x0075, u8([0x42, 0x04], randomBytes(random, 18)));
  specs.push({
    label: 'Samsung phone',
    addressType: 'random',
    address: () => randomAddressOf(random, 1),
    traces: [{ what: 'Samsung payload', value: tag.payload }],
    emit: () => [extended(u8(FLAGS, tag.data), EXT_LEGACY_ADV_IND)],
  });
  const fastPair = u8([0x2c, 0xfe, 0x00], randomBytes(random, 14));
  specs.push({
    label: 'Android headset (Google Fast Pair)',
    addressType: 'random',
    address: () => randomAddressOf(random, 0),
    traces: [{ what: 'Fast Pair service data', value: fastPair }],
    emit: () => [legacy(u8(FLAGS, ad(0x16, fastPair)))],
  });
  const tile = u8([0xed, 0xfe, 0x02, 0x00], randomBytes(random, 10));
  specs.push({
    label: 'Tile tracker',
    addressType: 'random',
    address: () => randomAddressOf(random, 3),
    traces: [{ what: 'Tile service data', value: tile }],
    emit: () => [legacy(u8(FLAGS, ad(0x03, [0xed, 0xfe]), ad(0x16, tile)))],
  });
  return specs;
}

function beaconSpecs(random: () => number, memberKey: Uint8Array, k: number): StrangerSpec[] {
  const specs: StrangerSpec[] = [];
  const iBeacon = (label: string, uuid: string, addressType: ReportAddressType, address: () => string, majorMinor?: (atMs: number) => [number, number]) => {
    const fixed: [number, number] = [Math.floor(random() * 65536), Math.floor(random() * 65536)];
    specs.push({
      label,
      addressType,
      address,
      traces: uuid === APP_UUID ? [] : [{ what: 'iBeacon UUID', value: uuidBytes(uuid), uuid: true }],
      emit: (atMs) => {
        const [major, minor] = majorMinor?.(atMs) ?? fixed;
        return [legacy(encodeIBeacon(uuid, major, minor, -59))];
      },
    });
  };
  iBeacon('Kontakt iBeacon', KONTAKT_UUID, 'public', () => publicAddressOf(random, [0xd3, 0x2a, 0x6b]));
  iBeacon('Estimote iBeacon', ESTIMOTE_UUID, 'random', () => randomAddressOf(random, 3));
  const otherUuid = Buffer.from(randomBytes(random, 16)).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  // Another app's UUID carrying a member's current EID prefix: the UUID decides, so it stays a stranger.
  iBeacon('iBeacon of another app with a member prefix', otherUuid, 'random', () => randomAddressOf(random, 1), (atMs) => {
    const eid = computeEid(memberKey, k, Math.floor(atMs / 1000));
    return [eid.readUInt16BE(0), eid.readUInt16BE(2)];
  });
  // Our app's UUID with a prefix no member broadcasts (a phone whose member left the roster).
  iBeacon('app iBeacon of a non-member', APP_UUID, 'random', () => randomAddressOf(random, 1));

  const uid = (label: string, addressType: ReportAddressType, address: () => string, via: 'legacy' | 'extended') => {
    const namespace = randomBytes(random, 10);
    const instance = randomBytes(random, 6);
    const data = u8(FLAGS, ad(0x03, [0xaa, 0xfe]), ad(0x16, u8([0xaa, 0xfe, 0x00, 0xe7], namespace, instance, [0, 0])));
    specs.push({
      label,
      addressType,
      address,
      traces: [
        { what: 'Eddystone-UID namespace', value: namespace },
        { what: 'Eddystone-UID instance', value: instance },
      ],
      emit: () => [via === 'legacy' ? legacy(data) : extended(data, EXT_LEGACY_NONCONN)],
    });
  };
  uid('Eddystone-UID asset tag', 'public', () => publicAddressOf(random, [0xac, 0x23, 0x3f]), 'legacy');
  uid('Eddystone-UID shelf tag (extended report)', 'random-identity', () => randomAddressOf(random, 3), 'extended');

  const url = (label: string, encoded: Uint8Array, text: string, host: string) => {
    const data = u8(ad(0x03, [0xaa, 0xfe]), ad(0x16, u8([0xaa, 0xfe, 0x10, 0xeb], encoded)));
    specs.push({
      label,
      addressType: 'random',
      address: () => randomAddressOf(random, 3),
      traces: [
        { what: 'Eddystone-URL', value: text },
        { what: 'Eddystone-URL host', value: host },
        { what: 'Eddystone-URL encoded', value: encoded },
      ],
      emit: () => [legacy(data)],
    });
  };
  // 0x03 https://, 0x03 .net/ ; 0x00 http://www., 0x01 .org/
  url('Eddystone-URL poster', u8([0x03], utf8Bytes('qz-shelftags'), [0x03], utf8Bytes('a7Kp9')), 'https://qz-shelftags.net/a7Kp9', 'qz-shelftags');
  url('Eddystone-URL kiosk', u8([0x00], utf8Bytes('lumo-kiosk'), [0x01], utf8Bytes('q/Zx')), 'http://www.lumo-kiosk.org/q/Zx', 'lumo-kiosk');

  const tlm = (label: string, etlm: boolean) => {
    const advCount = 0x80000000 + Math.floor(random() * 0x7fffffff);
    const body = etlm
      ? u8([0x01], randomBytes(random, 16))
      : u8([0x00, 0x0b, 0xab, 0x17, 0x80], [advCount >>> 24, (advCount >>> 16) & 0xff, (advCount >>> 8) & 0xff, advCount & 0xff], randomBytes(random, 4));
    const data = u8(ad(0x03, [0xaa, 0xfe]), ad(0x16, u8([0xaa, 0xfe, 0x20], body)));
    specs.push({
      label,
      addressType: 'random',
      address: () => randomAddressOf(random, 3),
      traces: [
        { what: etlm ? 'Eddystone-eTLM body' : 'Eddystone-TLM body', value: body.subarray(1) },
        ...(etlm ? [] : [{ what: 'Eddystone-TLM advertising count', value: String(advCount) }]),
      ],
      emit: () => [legacy(data)],
    });
  };
  tlm('Eddystone-TLM of an asset tag', false);
  tlm('Eddystone-eTLM of a secure beacon', true);

  // Eddystone-EID computed correctly, but under identity keys of no member (another system's beacons).
  for (const [label, exponent] of [['Eddystone-EID of another system (K=10)', 10], ['Eddystone-EID of another system (K=3)', 3]] as const) {
    const key = randomBytes(random, 16);
    const traces: Trace[] = [];
    specs.push({
      label,
      addressType: 'random',
      address: () => randomAddressOf(random, 1),
      traces,
      emit: (atMs) => {
        const eid = computeEid(key, exponent, Math.floor(atMs / 1000));
        if (!traces.some((t) => Buffer.from(t.value).equals(eid))) traces.push({ what: 'Eddystone-EID', value: Uint8Array.from(eid) });
        return [legacy(encodeEddystoneEid(eid, -20))];
      },
    });
  }

  const altBeacon = (label: string, companyId: number) => {
    const id = randomBytes(random, 20);
    const m = manufacturer(companyId, u8([0xbe, 0xac], id, [0xc5, 0x00]));
    specs.push({
      label,
      addressType: 'random',
      address: () => randomAddressOf(random, 3),
      traces: [
        { what: 'AltBeacon id', value: id },
        { what: 'AltBeacon id1', value: id.subarray(0, 16), uuid: true },
      ],
      emit: () => [legacy(u8(m.data))],
    });
  };
  altBeacon('AltBeacon (Radius Networks)', 0x0118);
  altBeacon('AltBeacon (test company)', 0xffff);
  return specs;
}

function namedAndExtendedSpecs(random: () => number): StrangerSpec[] {
  const specs: StrangerSpec[] = [];
  const named = (label: string, name: string, nameType: number, advertising: Uint8Array, via: 'legacy' | 'extended') => {
    const response = u8(ad(nameType, utf8Bytes(name)));
    specs.push({
      label,
      addressType: 'random',
      address: () => randomAddressOf(random, 1),
      traces: [{ what: 'name in scan response', value: name }],
      emit: () =>
        via === 'legacy'
          ? [legacy(advertising, ADV_IND), legacy(response, SCAN_RSP)]
          : [extended(advertising, EXT_LEGACY_ADV_IND), extended(response, EXT_LEGACY_SCAN_RSP)],
    });
  };
  named('phone with a name', "Kerem's Galaxy A54", 0x09, u8(FLAGS, ad(0x03, [0x0f, 0x18])), 'legacy');
  named('watch with a non-ASCII name', 'Öykü’nün Saati ⌚', 0x09, u8(FLAGS, ad(0x03, [0x0d, 0x18])), 'extended');
  named('headphones with a short name', 'WH-1000XM5 Q7Z', 0x08, u8(FLAGS), 'legacy');

  const service128 = randomBytes(random, 16);
  specs.push({
    label: 'fitness band (128-bit service UUID)',
    addressType: 'random',
    address: () => randomAddressOf(random, 3),
    traces: [{ what: '128-bit service UUID', value: service128, uuid: true }],
    emit: () => [legacy(u8(FLAGS, ad(0x07, service128)), ADV_IND)],
  });

  // Extended advertising beyond 31 bytes (a display on the floor), and one in two fragments.
  const longName = 'LumoCart Display 42 (Aisle 7)';
  const longPayload = u8([0x59, 0x00], randomBytes(random, 90));
  specs.push({
    label: 'extended advertiser with 126 bytes of data',
    addressType: 'random',
    address: () => randomAddressOf(random, 3),
    traces: [
      { what: 'long name', value: longName },
      { what: 'long manufacturer payload', value: longPayload },
    ],
    emit: () => [extended(u8(FLAGS, ad(0x09, utf8Bytes(longName)), ad(0xff, longPayload)))],
  });
  const whole = u8(FLAGS, ad(0xff, u8([0x59, 0x00], randomBytes(random, 200))));
  const first = whole.subarray(0, 120);
  const rest = whole.subarray(120);
  specs.push({
    label: 'extended advertiser in two fragments',
    addressType: 'public',
    address: () => publicAddressOf(random, [0x00, 0x1a, 0x7d]),
    traces: [
      { what: 'first fragment', value: first.subarray(10) },
      { what: 'last fragment', value: rest },
    ],
    emit: () => [extended(first, EXT_NONCONN | EXT_INCOMPLETE, false), extended(rest, EXT_NONCONN)],
  });

  const garbage = randomBytes(random, 12);
  specs.push({
    label: 'malformed advertising data',
    addressType: 'random',
    address: () => randomAddressOf(random, 0),
    traces: [{ what: 'malformed payload', value: garbage }],
    // The manufacturer structure claims 31 bytes and runs past the end.
    emit: () => [legacy(u8(FLAGS, [0x1f, 0xff, 0x4c, 0x00], garbage))],
  });
  specs.push({
    label: 'empty advertisement',
    addressType: 'public-identity',
    address: () => publicAddressOf(random, [0x3c, 0x5a, 0xb4]),
    traces: [],
    emit: () => [legacy(new Uint8Array(0), ADV_IND)],
  });
  // The simulator's own idea of strangers (adapters/simulator/strangers.ts), one frame each.
  for (let i = 0; i < 5; i++) {
    const data = strangerAdvertisingData(random);
    specs.push({
      label: `simulator stranger ${i + 1}`,
      addressType: 'random',
      address: () => randomAddressOf(random, 1),
      traces: [],
      emit: () => [i % 2 === 0 ? legacy(data) : extended(data)],
    });
  }
  return specs;
}

/** Every stranger of the crowd; `memberKey` lets one of them borrow a member's current iBeacon prefix. */
export function strangerSpecs(random: () => number, memberKey: Uint8Array, k: number): StrangerSpec[] {
  return [...phoneSpecs(random), ...beaconSpecs(random, memberKey, k), ...namedAndExtendedSpecs(random)];
}
