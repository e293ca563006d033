// Smoothing of one member's RSSI at one receiver. BLE RSSI jumps by 10 dB and more
// from packet to packet (fading, the body turning, another channel); a zone decision
// on raw samples flaps. Three filters, chosen in config (presence.filter) and compared
// by `npm run eval:presence` on the simulated store:
//  - kalman: a one-dimensional Kalman filter with a random-walk state, the usual choice
//    for BLE RSSI; it follows a walking shopper within a few samples and holds still
//    for a standing one;
//  - median: the median of the last samples, after dropping those far from it (a
//    deep fade or a reflection), robust to single outliers but a few samples late;
//  - ema: an exponential moving average (presence.smoothing), the simplest.

export interface RssiFilter {
  /** Takes a sample (dBm) at `at` ms and returns the filtered value. */
  update(rssi: number, at: number): number;
  value(): number;
}

export type FilterKind = 'kalman' | 'median' | 'ema';

/** Process noise per second (dB²/s): how fast the true level may drift as the shopper moves. */
const KALMAN_PROCESS_NOISE_PER_S = 4;
/** Measurement noise (dB²): the spread of single samples around the level, about 4-5 dB. */
const KALMAN_MEASUREMENT_NOISE = 20;

class KalmanFilter implements RssiFilter {
  private estimate: number;
  private variance = KALMAN_MEASUREMENT_NOISE;
  private last: number;

  constructor(first: number, at: number) {
    this.estimate = first;
    this.last = at;
  }

  update(rssi: number, at: number): number {
    const dt = Math.max(0, at - this.last) / 1000;
    this.last = at;
    const predicted = this.variance + KALMAN_PROCESS_NOISE_PER_S * Math.max(dt, 0.05);
    const gain = predicted / (predicted + KALMAN_MEASUREMENT_NOISE);
    this.estimate += gain * (rssi - this.estimate);
    this.variance = (1 - gain) * predicted;
    return this.estimate;
  }

  value(): number {
    return this.estimate;
  }
}

const MEDIAN_WINDOW = 7;
/** Samples further than this from the window's median are dropped as outliers (dB). */
const MEDIAN_OUTLIER_DB = 12;

class MedianFilter implements RssiFilter {
  private readonly window: number[] = [];
  private current: number;

  constructor(first: number) {
    this.window.push(first);
    this.current = first;
  }

  update(rssi: number): number {
    this.window.push(rssi);
    if (this.window.length > MEDIAN_WINDOW) this.window.shift();
    const median = medianOf(this.window);
    const kept = this.window.filter((v) => Math.abs(v - median) <= MEDIAN_OUTLIER_DB);
    this.current = kept.length === 0 ? median : medianOf(kept);
    return this.current;
  }

  value(): number {
    return this.current;
  }
}

class EmaFilter implements RssiFilter {
  private current: number;

  constructor(
    first: number,
    private readonly alpha: number,
  ) {
    this.current = first;
  }

  update(rssi: number): number {
    this.current = this.alpha * rssi + (1 - this.alpha) * this.current;
    return this.current;
  }

  value(): number {
    return this.current;
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function createRssiFilter(kind: FilterKind, first: number, at: number, emaAlpha: number): RssiFilter {
  if (kind === 'kalman') return new KalmanFilter(first, at);
  if (kind === 'median') return new MedianFilter(first);
  return new EmaFilter(first, emaAlpha);
}
