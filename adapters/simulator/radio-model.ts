import { gaussian } from './random.js';

// A statistical BLE channel between shoppers' phones and the store's receivers, for
// the demo and the presence evaluation. Seeded: the same seed and the same calls give
// the same packets. Values called "typical" are our choice within published ranges.
//
// RSSI = P1m + gain(rx) - 10·n·log10(d) - walls - body + shadowing + fading + noise
//
// Sources:
// - Log-distance model with log-normal shadowing; indoor measurements collected in
//   Rappaport, "Wireless Communications" (2002), as quoted on Wikipedia's
//   "Log-distance path loss model": retail store n = 2.2, σ = 8.7 dB; grocery store
//   n = 1.8, σ = 5.2 dB (914 MHz). A BLE living-room fit gave n ≈ 2.4 with 1.5-3.7 dB
//   spread at a fixed point (blog.markmarolf.com, "Path loss constant and RSSI
//   distribution"). Rappaport's σ spans many locations of a building, much of it out
//   of sight; our receivers mostly see the phone, so we take 4.3 dB per link (typical),
//   split into a spatial part (3.5 dB), frozen while the phone stands still, and a
//   temporal part (2.5 dB) from people and trolleys moving through the path.
// - Shadowing correlation: exponential in distance moved (Gudmundson, "Correlation
//   model for shadow fading in mobile radio systems", Electron. Lett. 1991); indoors
//   we take a 2 m decorrelation distance and a 10 s correlation time (typical).
// - Fast fading: Rician power per packet (K = 4, 6 dB, typical for a short line of
//   sight), Rayleigh when the line of sight is blocked. BLE advertises on three channels and a scanner hears whichever it is listening
//   on, so successive packets fade independently (Faragher & Harle, "Location
//   fingerprinting with Bluetooth Low Energy beacons", IEEE JSAC 33(11), 2015, who
//   show BLE's high susceptibility to fast fading for this reason).
// - Body blocking: a cosine pattern around the body of the phone's wearer, loss
//   largest with the receiver behind them (Turbic, Ambroziak & Correia, "A
//   body-shadowing model for off-body and body-to-body communications", URSI Baltic
//   2018; Januszkiewicz, Sensors 18(10):3412, 2018, on body shadowing at 2.4 GHz).
//   Amplitude 5-10 dB per phone (typical).
// - Receiver: ESP32's datasheet gives -97 dBm BLE sensitivity; packets fade out over
//   a few dB around it. RSSI is reported in whole dBm.
// - Advertising: Android's AdvertiseSettings modes are 1 s (LOW_POWER, the default),
//   250 ms (BALANCED) and 100 ms (LOW_LATENCY); iBeacon transmitters typically use
//   100 ms; the BLE core spec adds a random 0-10 ms advDelay to every interval. Apple
//   says a backgrounded app advertises on a best-effort basis, more slowly, and at
//   times not at all (Apple developer forums, thread 814450); a Stack Overflow answer
//   that sniffed the overflow advert saw a packet about every 200 ms while it runs.
//   We model bursts of 1-4 s at 200 ms with gaps of 3-30 s (typical choice).
// - Walls (floor-plan.ts): 12 dB for the shop front, 4 dB for a partition (typical).

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A receiver where the radio model needs it: position, mounting height and its true radio properties. */
export interface ReceiverSite {
  readonly id: string;
  readonly position: Point;
  readonly heightM: number;
  readonly pathLossExponent: number;
  /** The receiver's own bias (antenna, enclosure, chipset): what `vitrin calibrate` measures. */
  readonly gainDb: number;
}

export interface Wall {
  readonly a: Point;
  readonly b: Point;
  readonly lossDb: number;
}

/** Where the phone is and which way its wearer faces (a unit vector). */
export interface PhonePose {
  readonly position: Point;
  readonly heading: Point;
}

/** One phone as a transmitter. */
export interface Transmitter {
  /** True RSSI at 1 m in free line of sight (dBm); the frame's advertised value may differ. */
  readonly powerAt1mDbm: number;
  /** Extra loss with the receiver straight behind the wearer (dB). */
  readonly bodyLossDb: number;
  readonly heightM: number;
}

export interface RadioParameters {
  readonly spatialSigmaDb: number;
  readonly decorrelationDistanceM: number;
  readonly temporalSigmaDb: number;
  readonly temporalCorrelationS: number;
  /** Rician K factor (linear) on a line-of-sight link; 0 would be Rayleigh everywhere. */
  readonly ricianK: number;
  readonly noiseSigmaDb: number;
  readonly sensitivityDbm: number;
  /** Width of the fade-out around the sensitivity (dB). */
  readonly sensitivitySlopeDb: number;
  /** Packets a receiver misses regardless of level: collisions, scan-window gaps, Wi-Fi coexistence. */
  readonly packetLoss: number;
}

export const DEFAULT_RADIO: RadioParameters = {
  spatialSigmaDb: 3.5,
  decorrelationDistanceM: 2,
  temporalSigmaDb: 2.5,
  temporalCorrelationS: 10,
  ricianK: 4,
  noiseSigmaDb: 1,
  sensitivityDbm: -97,
  sensitivitySlopeDb: 1.5,
  packetLoss: 0.15,
};

/** Shadowing state of one phone-receiver link. */
export interface Link {
  spatial: number;
  temporal: number;
  lastX: number;
  lastY: number;
  lastAt: number;
  initialised: boolean;
}

export function createLink(): Link {
  return { spatial: 0, temporal: 0, lastX: 0, lastY: 0, lastAt: 0, initialised: false };
}

/** Draws per-phone radio properties: handsets differ by a few dB at 1 m, bodies and pockets by more. */
export function randomTransmitter(random: () => number): Transmitter {
  return {
    powerAt1mDbm: -59 + 2.5 * gaussian(random),
    bodyLossDb: 5 + 5 * random(),
    heightM: 1 + 0.3 * random(),
  };
}

export class RadioModel {
  constructor(
    private readonly random: () => number,
    private readonly walls: readonly Wall[] = [],
    readonly parameters: RadioParameters = DEFAULT_RADIO,
  ) {}

  /** The RSSI one receiver reports for one packet sent at `at` (ms), or undefined when it does not hear it. */
  receive(link: Link, tx: Transmitter, pose: PhonePose, rx: ReceiverSite, at: number): number | undefined {
    const p = this.parameters;
    const dx = rx.position.x - pose.position.x;
    const dy = rx.position.y - pose.position.y;
    const dz = rx.heightM - tx.heightM;
    const horizontal = Math.hypot(dx, dy);
    const distance = Math.max(0.3, Math.hypot(horizontal, dz));
    // The body only blocks the horizontal part of the path; a receiver overhead sees past it.
    const facing = horizontal < 1e-6 ? 1 : (pose.heading.x * dx + pose.heading.y * dy) / horizontal;
    const elevation = horizontal / distance;
    const bodyLoss = tx.bodyLossDb * elevation * (1 - facing) * 0.5;
    const wallLoss = this.wallLoss(pose.position, rx.position);
    this.advanceShadowing(link, pose.position, at);
    const lineOfSight = wallLoss === 0 ? Math.max(0, facing) : 0;
    const fading = this.fadingDb(p.ricianK * lineOfSight);
    const rssi =
      tx.powerAt1mDbm +
      rx.gainDb -
      10 * rx.pathLossExponent * Math.log10(distance) -
      wallLoss -
      bodyLoss +
      link.spatial +
      link.temporal +
      fading +
      p.noiseSigmaDb * gaussian(this.random);
    if (this.random() < p.packetLoss) return undefined;
    const decoded = 1 / (1 + Math.exp(-(rssi - p.sensitivityDbm) / p.sensitivitySlopeDb));
    if (this.random() >= decoded) return undefined;
    return Math.round(rssi);
  }

  /**
   * The level `rx` reports on average for a phone standing at `position` with the link's
   * current spatial shadowing, once everything that varies while the shopper stands is
   * averaged away: fading (at its mean power, 0 dB), noise, the temporal shadowing of
   * people passing, and the body's loss over every heading. Draws no random number and changes no state: the presence
   * evaluation uses it as a reference (what the loudest zone is on average), not as a packet.
   */
  meanRssi(link: Link, tx: Transmitter, position: Point, rx: ReceiverSite): number {
    const horizontal = Math.hypot(rx.position.x - position.x, rx.position.y - position.y);
    const distance = Math.max(0.3, Math.hypot(horizontal, rx.heightM - tx.heightM));
    // (1 - facing) / 2 averages to 1/2 over headings spread evenly around the circle.
    const bodyLoss = tx.bodyLossDb * (horizontal / distance) * 0.5;
    const spatial = link.initialised ? link.spatial : 0;
    return tx.powerAt1mDbm + rx.gainDb - 10 * rx.pathLossExponent * Math.log10(distance) - this.wallLoss(position, rx.position) - bodyLoss + spatial;
  }

  /** AR(1) steps: the spatial part decorrelates with distance moved, the temporal part with time. */
  private advanceShadowing(link: Link, position: Point, at: number): void {
    const p = this.parameters;
    if (!link.initialised) {
      link.spatial = p.spatialSigmaDb * gaussian(this.random);
      link.temporal = p.temporalSigmaDb * gaussian(this.random);
      link.initialised = true;
    } else {
      const moved = Math.hypot(position.x - link.lastX, position.y - link.lastY);
      if (moved > 0) {
        const rho = Math.exp(-moved / p.decorrelationDistanceM);
        link.spatial = rho * link.spatial + Math.sqrt(1 - rho * rho) * p.spatialSigmaDb * gaussian(this.random);
      }
      const elapsed = Math.max(0, at - link.lastAt) / 1000;
      if (elapsed > 0) {
        const rho = Math.exp(-elapsed / p.temporalCorrelationS);
        link.temporal = rho * link.temporal + Math.sqrt(1 - rho * rho) * p.temporalSigmaDb * gaussian(this.random);
      }
    }
    link.lastX = position.x;
    link.lastY = position.y;
    link.lastAt = at;
  }

  /** Rician power gain in dB with mean power 1 (0 dB); K = 0 is Rayleigh. */
  private fadingDb(k: number): number {
    const los = Math.sqrt(k / (k + 1));
    const scatter = Math.sqrt(1 / (2 * (k + 1)));
    const i = los + scatter * gaussian(this.random);
    const q = scatter * gaussian(this.random);
    return 10 * Math.log10(Math.max(i * i + q * q, 1e-6));
  }

  private wallLoss(from: Point, to: Point): number {
    let loss = 0;
    for (const wall of this.walls) if (segmentsCross(from, to, wall.a, wall.b)) loss += wall.lossDb;
    return loss;
  }
}

function cross(o: Point, a: Point, b: Point): number {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/** Whether the path p1-p2 passes through the wall q1-q2; grazing a wall's end counts, so corners leak nothing. */
export function segmentsCross(p1: Point, p2: Point, q1: Point, q2: Point): boolean {
  const d1 = cross(q1, q2, p1);
  const d2 = cross(q1, q2, p2);
  const d3 = cross(p1, p2, q1);
  const d4 = cross(p1, p2, q2);
  return d1 * d2 < 0 && d3 * d4 <= 0;
}

export type Carrier = 'android' | 'ios-foreground' | 'ios-background';

export interface AdvertisingProfile {
  readonly intervalMs: number;
  /** Present for phones that advertise in bursts with gaps (a backgrounded iPhone). */
  readonly bursts?: { readonly onMs: readonly [number, number]; readonly gapMs: readonly [number, number] };
}

export const ADVERTISING: Readonly<Record<Carrier, AdvertisingProfile>> = {
  android: { intervalMs: 1000 },
  'ios-foreground': { intervalMs: 100 },
  'ios-background': { intervalMs: 200, bursts: { onMs: [1000, 4000], gapMs: [3000, 30_000] } },
};

/** BLE core spec: a pseudo-random 0-10 ms advDelay is added to every advertising interval. */
const MAX_ADV_DELAY_MS = 10;

/** Successive transmit times of one phone. */
export class AdvertisingSchedule {
  private at: number;
  private burstEnds = Infinity;

  constructor(
    private readonly profile: AdvertisingProfile,
    private readonly random: () => number,
    start: number,
  ) {
    // Phones are not in phase with each other or with the store's clock.
    this.at = start + random() * profile.intervalMs;
    if (profile.bursts !== undefined) {
      // Half the phones arrive mid-gap.
      if (random() < 0.5) this.at += logUniform(random, profile.bursts.gapMs);
      this.burstEnds = this.at + uniform(random, profile.bursts.onMs);
    }
  }

  /** The next transmit time (ms), then advances. */
  next(): number {
    const at = this.at;
    this.at += this.profile.intervalMs + this.random() * MAX_ADV_DELAY_MS;
    const bursts = this.profile.bursts;
    if (bursts !== undefined && this.at > this.burstEnds) {
      this.at = this.burstEnds + logUniform(this.random, bursts.gapMs);
      this.burstEnds = this.at + uniform(this.random, bursts.onMs);
    }
    return at;
  }
}

function uniform(random: () => number, [min, max]: readonly [number, number]): number {
  return min + (max - min) * random();
}

/** Short gaps are common and long ones rarer, without a hard mode. */
function logUniform(random: () => number, [min, max]: readonly [number, number]): number {
  return Math.exp(Math.log(min) + (Math.log(max) - Math.log(min)) * random());
}
