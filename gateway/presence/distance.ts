// Distance from RSSI by the log-distance path-loss model: RSSI(d) = P1m - 10·n·log10(d),
// where P1m is the frame's calibrated power at 1 m and n the receiver's path-loss
// exponent (about 2 in open space, 2.5-4 indoors among shelves and people).

/** A typical phone's power at 1 m when the frame does not say (iBeacon's customary -59 dBm). */
export const DEFAULT_MEASURED_POWER = -59;

/** Eddystone states TX power at 0 m; the Eddystone spec puts 1 m at 41 dB less. */
export const EDDYSTONE_0M_TO_1M_DB = 41;

const MIN_DISTANCE_M = 0.1;
const MAX_DISTANCE_M = 100;

export function distanceMetres(rssi: number, measuredPower: number, pathLossExponent: number): number {
  const d = 10 ** ((measuredPower - rssi) / (10 * pathLossExponent));
  return Math.min(MAX_DISTANCE_M, Math.max(MIN_DISTANCE_M, d));
}
