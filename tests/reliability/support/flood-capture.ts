import { writeFileSync } from 'node:fs';
import { randomAddress, seededRandom } from '../../../adapters/simulator/random.js';
import { strangerAdvertisingData } from '../../../adapters/simulator/strangers.js';
import { btsnoopHeader, btsnoopRecord } from '../../../gateway/ble/btsnoop.js';
import { encodeEddystoneEid, encodeIBeacon } from '../../../gateway/ble/decode.js';
import { encodeLegacyReport } from '../../../gateway/ble/hci-events.js';
import { computeEid } from '../../../gateway/identity/eid.js';
import type { Member } from '../../../gateway/identity/roster.js';

// A busy store's air as the radio hands it over, written by the project's own btsnoop
// writer: one advertising report every 1/rate s, exactly, so the replay's schedule is
// known to the microsecond. Members walk up to the till one after another and stand
// there, their phones advertising five times a second (Android: Eddystone-EID; iPhone
// in the foreground: the app's iBeacon); every other slot is a stranger: other vendors'
// beacons, asset tags, phones, laptops, and our own app UUID with prefixes of nobody.

export const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const ADV_NONCONN_IND = 3;
const K = 10;

export interface FloodVisit {
  readonly member: Member;
  /** Capture times (ms) of the member's reports. */
  readonly samples: number[];
}

export interface FloodCapture {
  readonly reports: number;
  readonly memberReports: number;
  readonly captureStart: number;
  readonly rate: number;
  readonly visits: readonly FloodVisit[];
  readonly bytes: number;
}

export interface FloodOptions {
  readonly seconds: number;
  /** Reports per second. */
  readonly rate: number;
  readonly members: readonly Member[];
  /** When the capture's clock starts: near the time it will be replayed, so the members' EIDs are current. */
  readonly captureStart: number;
  /** Strangers only at first, and at the end, so every member has been replayed before the last second. */
  readonly leadSeconds?: number;
  readonly stayMs?: number;
  readonly strangers?: number;
  readonly seed?: number;
}

function report(address: string, rssi: number, data: Uint8Array): Uint8Array {
  return encodeLegacyReport({ eventType: ADV_NONCONN_IND, address, addressType: 'random', rssi, data });
}

export function writeFloodCapture(file: string, options: FloodOptions): FloodCapture {
  const { seconds, rate, members, captureStart, leadSeconds = 3, stayMs = 8_000, strangers = 3_000, seed = 5 } = options;
  const random = seededRandom(seed);
  const slotMs = 1000 / rate;
  const total = Math.round(seconds * rate);
  const spread = Math.max(1, (seconds - leadSeconds - stayMs / 1000 - 2) * 1000);
  const others = Array.from({ length: strangers }, (_, i) => {
    const address = randomAddress(random);
    const rssi = -55 - Math.floor(random() * 40);
    const roll = random();
    // One in ten: our app's iBeacon with a prefix nobody here has (unresolved, dropped).
    const data = roll < 0.1 ? encodeIBeacon(APP_UUID, Math.floor(random() * 65536), Math.floor(random() * 65536), -59) : strangerAdvertisingData(random);
    return { packet: report(address, rssi, data), index: i };
  });
  const phones = members.map((member, i) => ({ member, address: randomAddress(random), ios: i % 2 === 1, arrives: captureStart + leadSeconds * 1000 + (i * spread) / members.length }));
  // Every member sample, in time order: five a second while they stand at the till.
  const due: { at: number; phone: number }[] = [];
  phones.forEach((phone, p) => {
    for (let at = phone.arrives; at < phone.arrives + stayMs; at += 200) due.push({ at, phone: p });
  });
  due.sort((a, b) => a.at - b.at);
  const visits: FloodVisit[] = phones.map((phone) => ({ member: phone.member, samples: [] }));
  const packets = new Map<string, Uint8Array>();
  const memberPacket = (p: number, at: number): Uint8Array => {
    const phone = phones[p]!;
    const counter = Math.floor(at / 1000);
    const key = `${p}:${counter >> K}`;
    let packet = packets.get(key);
    if (packet === undefined) {
      const eid = computeEid(phone.member.identityKey, K, counter);
      const data = phone.ios ? encodeIBeacon(APP_UUID, eid.readUInt16BE(0), eid.readUInt16BE(2), -59) : encodeEddystoneEid(eid, -20);
      packet = report(phone.address, -50, data);
      packets.set(key, packet);
    }
    return packet;
  };
  const chunks: Uint8Array[] = [btsnoopHeader()];
  let next = 0;
  let memberReports = 0;
  for (let slot = 0; slot < total; slot++) {
    const at = captureStart + slot * slotMs;
    const member = due[next];
    if (member !== undefined && member.at <= at) {
      next++;
      memberReports++;
      visits[member.phone]!.samples.push(at);
      chunks.push(btsnoopRecord(memberPacket(member.phone, at), at));
    } else {
      chunks.push(btsnoopRecord(others[slot % others.length]!.packet, at));
    }
  }
  const bytes = Buffer.concat(chunks);
  writeFileSync(file, bytes);
  return { reports: total, memberReports, captureStart, rate, visits, bytes: bytes.length };
}
