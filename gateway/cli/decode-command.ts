import { VitrinError } from '../errors.js';
import { decodeFrames, frameToJson } from '../ble/frames.js';

export interface DecodedReport {
  readonly address?: string;
  readonly addressType?: string;
  readonly rssi?: number;
  readonly eventType?: number;
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
  if (bytes[0] === 0x04 && bytes[1] === 0x3e) {
    throw new VitrinError('VITRIN_ERR_DECODE_INPUT', 'HCI LE Advertising Report events are not decoded by this build yet; pass the advertising data alone');
  }
  return [{ frames: framesOf(bytes) }];
}
