import { hex, int8 } from './ad-structures.js';

// Eddystone frames in service data of UUID 0xFEAA (google/eddystone protocol
// specification: eddystone-uid, eddystone-url, eddystone-tlm, eddystone-eid).

export type EddystoneFrame =
  | { readonly type: 'eddystone-uid'; readonly namespace: string; readonly instance: string; readonly txPower: number }
  | { readonly type: 'eddystone-url'; readonly url: string; readonly txPower: number }
  | { readonly type: 'eddystone-tlm'; readonly batteryMv: number; readonly temperatureC: number | null; readonly advCount: number; readonly uptimeS: number }
  | { readonly type: 'eddystone-etlm'; readonly data: string }
  | { readonly type: 'eddystone-eid'; readonly eid: string; readonly txPower: number }
  | { readonly type: 'eddystone-reserved'; readonly frameType: number; readonly data: string }
  | { readonly type: 'malformed'; readonly format: string; readonly reason: string };

const URL_SCHEMES = ['http://www.', 'https://www.', 'http://', 'https://'];
const URL_EXPANSIONS = ['.com/', '.org/', '.edu/', '.net/', '.info/', '.biz/', '.gov/', '.com', '.org', '.edu', '.net', '.info', '.biz', '.gov'];

function malformed(format: string, reason: string): EddystoneFrame {
  return { type: 'malformed', format, reason };
}

function decodeUrl(d: Uint8Array, s: number, e: number): EddystoneFrame {
  const scheme = URL_SCHEMES[d[s + 2]!];
  if (e - s < 3 || scheme === undefined) return malformed('eddystone-url', 'unknown URL scheme prefix');
  let url = scheme;
  for (let i = s + 3; i < e; i++) {
    const c = d[i]!;
    const expansion = URL_EXPANSIONS[c];
    if (expansion !== undefined) url += expansion;
    else if (c > 0x20 && c < 0x7f) url += String.fromCharCode(c);
    else return malformed('eddystone-url', `byte 0x${c.toString(16)} is neither printable nor an expansion code`);
  }
  return { type: 'eddystone-url', url, txPower: int8(d[s + 1]!) };
}

function decodeTlm(d: Uint8Array, s: number, e: number): EddystoneFrame {
  const version = d[s + 1];
  if (version === 0x01) return { type: 'eddystone-etlm', data: hex(d, s + 2, e) };
  if (version !== 0x00 || e - s < 14) return malformed('eddystone-tlm', version !== 0x00 ? `unknown TLM version ${String(version)}` : 'too short');
  const view = new DataView(d.buffer, d.byteOffset + s, 14);
  const rawTemperature = view.getInt16(4, false);
  return {
    type: 'eddystone-tlm',
    batteryMv: view.getUint16(2, false),
    // 8.8 fixed point; 0x8000 means the beacon has no temperature sensor.
    temperatureC: rawTemperature === -0x8000 ? null : rawTemperature / 256,
    advCount: view.getUint32(6, false),
    // Counted in 0.1 s units.
    uptimeS: view.getUint32(10, false) / 10,
  };
}

/** `s`..`e` spans the service data after the 0xFEAA UUID. */
export function decodeEddystone(d: Uint8Array, s: number, e: number): EddystoneFrame {
  if (e - s < 2) return malformed('eddystone', 'too short');
  const frameType = d[s]!;
  switch (frameType) {
    case 0x00:
      if (e - s < 18) return malformed('eddystone-uid', 'too short');
      return { type: 'eddystone-uid', namespace: hex(d, s + 2, s + 12), instance: hex(d, s + 12, s + 18), txPower: int8(d[s + 1]!) };
    case 0x10:
      return decodeUrl(d, s, e);
    case 0x20:
      return decodeTlm(d, s, e);
    case 0x30:
      if (e - s < 10) return malformed('eddystone-eid', 'too short');
      return { type: 'eddystone-eid', eid: hex(d, s + 2, s + 10), txPower: int8(d[s + 1]!) };
    default:
      return { type: 'eddystone-reserved', frameType, data: hex(d, s + 1, e) };
  }
}
