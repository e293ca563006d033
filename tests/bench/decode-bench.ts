import { createRequire } from 'node:module';
import { seededRandom } from '../../adapters/simulator/random.js';
import { strangerAdvertisingData } from '../../adapters/simulator/strangers.js';
import { walkAdStructures } from '../../gateway/ble/ad-structures.js';
import { decodeAdvertisement, encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';
import { decodeFrames } from '../../gateway/ble/frames.js';
import type { Benchmark } from './benchmark.js';

// Decode throughput on a store-like stream: 85% other devices (phones, laptops,
// other vendors' beacons), 15% member identifiers. One core, one process.
//
// The peer is node-beacon-scanner's parser, which reads noble's `advertisement`
// object; noble builds that object from the raw AD structures first, so the peer's
// time includes the same split, written here the way noble's GAP code does it.

interface PeerParser {
  parse(peripheral: unknown): unknown;
}
const peer = createRequire(import.meta.url)('node-beacon-scanner/lib/parser.js') as PeerParser;

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const STREAM_SIZE = 20_000;
const ROUNDS = 25;

function mixedStream(): Uint8Array[] {
  const random = seededRandom(7);
  return Array.from({ length: STREAM_SIZE }, (_, i) => {
    if (i % 20 === 0) return encodeEddystoneEid(Uint8Array.from({ length: 8 }, () => Math.floor(random() * 256)), -4);
    if (i % 20 === 1) return encodeIBeacon(APP_UUID, Math.floor(random() * 65536), Math.floor(random() * 65536), -59);
    if (i % 20 === 2) return Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0x03, 0xaa, 0xfe, 0x11, 0x16, 0xaa, 0xfe, 0x20, 0x00, 0x0b, 0xb8, 0x19, 0x80, 0, 0, 0, 100, 0, 0, 0x27, 0x10]);
    return strangerAdvertisingData(random);
  });
}

/** noble's advertisement object for one report (as lib/hci-socket/gap.js fills it). */
function nobleAdvertisement(data: Uint8Array) {
  const ad: { serviceUuids: string[]; serviceData: { uuid: string; data: Buffer }[]; manufacturerData?: Buffer; localName?: string } = {
    serviceUuids: [],
    serviceData: [],
  };
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  walkAdStructures(data, (type, s, e) => {
    if (type === 0x02 || type === 0x03) for (let i = s; i + 1 < e; i += 2) ad.serviceUuids.push(buf.readUInt16LE(i).toString(16));
    else if (type === 0x16 && e - s >= 2) ad.serviceData.push({ uuid: buf.readUInt16LE(s).toString(16), data: buf.subarray(s + 2, e) });
    else if (type === 0xff) ad.manufacturerData = buf.subarray(s, e);
    else if (type === 0x09) ad.localName = buf.toString('utf8', s, e);
  });
  return ad;
}

function framesPerSec(stream: readonly Uint8Array[], decode: (data: Uint8Array) => unknown): number {
  let sink = 0;
  for (const data of stream) if (decode(data) !== undefined) sink++; // warm-up and JIT
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) for (const data of stream) if (decode(data) !== undefined) sink++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink < 0) throw new Error('unreachable');
  return (stream.length * ROUNDS) / seconds;
}

export const decodeBenchmark: Benchmark = {
  name: 'decode',
  async run() {
    const progress = (line: string) => process.stderr.write(`  ${line}\n`);
    const stream = mixedStream();
    const ours = framesPerSec(stream, (data) => decodeFrames(data));
    progress(`vitrin decodeFrames: ${Math.round(ours)} frames/s`);
    const hotPath = framesPerSec(stream, (data) => decodeAdvertisement(data) ?? null);
    progress(`vitrin hot path (member identifiers only): ${Math.round(hotPath)} frames/s`);
    const theirs = framesPerSec(stream, (data) => peer.parse({ id: 'x', address: 'x', rssi: -60, advertisement: nobleAdvertisement(data) }));
    progress(`node-beacon-scanner: ${Math.round(theirs)} frames/s`);
    return Promise.resolve({
      framesPerSec: Math.round(ours),
      peerFramesPerSec: Math.round(theirs),
      speedup: Math.round((ours / theirs) * 100) / 100,
      hotPathFramesPerSec: Math.round(hotPath),
    });
  },
};
