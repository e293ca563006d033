import { decodeAdvertisement } from '../ble/decode.js';
import type { Advertisement } from '../ports.js';
import { EDDYSTONE_0M_TO_1M_DB } from './distance.js';

// Calibration of one receiver: store IT holds a reference phone running the app 1 m
// from the receiver for half a minute. The median RSSI heard there, against the power
// at 1 m the phone's frames announce, gives the receiver's offset (antenna, enclosure,
// mounting). The median, not the mean: single deep fades pull a mean down by decibels.

export interface CalibrationReport {
  readonly receiverId: string;
  /** The reference phone's address (the most heard app device, unless one was named). */
  readonly address: string | undefined;
  readonly samples: number;
  readonly rssi: { readonly median: number; readonly mean: number; readonly p10: number; readonly p90: number; readonly stdDev: number; readonly min: number; readonly max: number } | undefined;
  /** The power at 1 m the phone's frames announce, dBm (median over the samples). */
  readonly measuredPower: number | undefined;
  /** What to put in receivers[].rssiOffset: measuredPower - median RSSI, dB, one decimal. */
  readonly rssiOffset: number | undefined;
  readonly problems: readonly string[];
}

/** Too few samples make a median that moves by decibels from one try to the next. */
export const MIN_CALIBRATION_SAMPLES = 20;

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** The app-format advertisements one receiver heard, as calibration figures. */
export function calibrate(receiverId: string, heard: readonly Advertisement[], appUuid: string, address?: string): CalibrationReport {
  const samples = new Map<string, { rssi: number[]; power: number[] }>();
  for (const ad of heard) {
    if (ad.receiverId !== receiverId || (address !== undefined && ad.address !== address)) continue;
    const frame = decodeAdvertisement(ad.data);
    if (frame === undefined || (frame.kind === 'ibeacon' && frame.uuid !== appUuid)) continue;
    let device = samples.get(ad.address);
    if (device === undefined) samples.set(ad.address, (device = { rssi: [], power: [] }));
    device.rssi.push(ad.rssi);
    device.power.push(frame.kind === 'ibeacon' ? frame.measuredPower : frame.txPower - EDDYSTONE_0M_TO_1M_DB);
  }
  const [chosen, device] = [...samples].sort((a, b) => b[1].rssi.length - a[1].rssi.length)[0] ?? [undefined, undefined];
  const problems: string[] = [];
  if (samples.size > 1 && address === undefined) problems.push(`${samples.size} app devices were heard; the most heard one was used (name the reference phone with --address)`);
  if (device === undefined || device.rssi.length === 0) {
    problems.push('no advertisement in the app formats was heard by this receiver: is the reference phone running the app at 1 m?');
    return { receiverId, address: chosen, samples: 0, rssi: undefined, measuredPower: undefined, rssiOffset: undefined, problems };
  }
  if (device.rssi.length < MIN_CALIBRATION_SAMPLES) problems.push(`only ${device.rssi.length} samples; hold the phone still for longer (at least ${MIN_CALIBRATION_SAMPLES})`);
  const sorted = [...device.rssi].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / sorted.length;
  const stdDev = Math.sqrt(sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / sorted.length);
  const median = quantile(sorted, 0.5);
  const measuredPower = quantile([...device.power].sort((a, b) => a - b), 0.5);
  if (stdDev > 8) problems.push(`the RSSI spread is ${round1(stdDev)} dB: people or metal between phone and receiver? Repeat in a quiet moment`);
  return {
    receiverId,
    address: chosen,
    samples: sorted.length,
    rssi: { median: round1(median), mean: round1(mean), p10: round1(quantile(sorted, 0.1)), p90: round1(quantile(sorted, 0.9)), stdDev: round1(stdDev), min: sorted[0]!, max: sorted.at(-1)! },
    measuredPower: round1(measuredPower),
    rssiOffset: round1(measuredPower - median),
    problems,
  };
}
