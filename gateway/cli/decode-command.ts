import { VitrinError } from '../errors.js';
import { decodeFrames, frameToJson } from '../ble/frames.js';
import { HCI_EVENT_PACKET, HCI_LE_META_EVENT, parseHciEvent } from '../ble/hci-events.js';

export interface DecodedReport {
  readonly address?: string;
  readonly addressType?: string;
  readonly rssi?: number;
  readonly eventType?: number;
  readonly txPower?: number;
  readonly dataStatus?: string;
  readonly frames: Record<string, unknown>[];
}

function parseHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '').replace(/^0x/i, '');
  if (clean === '' || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
    throw new VitrinError('VITRIN_ERR_DECODE_INPUT', 'input must be an even number of hex digits');
  }
  return Buffer.from(clean, 'hex');
}

function framesOf(data: Uint8Array): Record<string, unknown>[] {
  const { frames, truncated } = decodeFrames(data);
  if (truncated) throw new VitrinError('VITRIN_ERR_DECODE_INPUT', 'an AD structure runs past the end of the data');
  return frames.map(frameToJson);
}

/**
 * `vitrin decode <hex>`: raw advertising data (AD structures) gives one report;
 * an HCI LE Advertising Report event (starting 043e) gives one per report in it.
 */
export function decodeCommand(text: string | undefined): DecodedReport[] {
  if (text === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'vitrin decode needs the hex of advertising data or of an HCI event');
  const bytes = parseHex(text);
  if (bytes[0] !== HCI_EVENT_PACKET || bytes[1] !== HCI_LE_META_EVENT) return [{ frames: framesOf(bytes) }];
  const parsed = parseHciEvent(bytes);
  if (!parsed.ok) throw new VitrinError('VITRIN_ERR_DECODE_INPUT', `malformed HCI event: ${parsed.reason}`);
  if (parsed.reports.length === 0) throw new VitrinError('VITRIN_ERR_DECODE_INPUT', 'this HCI LE event is not an advertising report (subevent 0x02 or 0x0d)');
  return parsed.reports.map((r) => ({
    address: r.address,
    addressType: r.addressType,
    ...(r.rssi === undefined ? {} : { rssi: r.rssi }),
    eventType: r.eventType,
    ...(r.txPower === undefined ? {} : { txPower: r.txPower }),
    ...(r.dataStatus === 'complete' ? {} : { dataStatus: r.dataStatus }),
    frames: framesOf(r.data),
  }));
}
