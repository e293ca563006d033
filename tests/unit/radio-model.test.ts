import { describe, expect, it } from 'vitest';
import {
  ADVERTISING,
  AdvertisingSchedule,
  createLink,
  DEFAULT_RADIO,
  type PhonePose,
  RadioModel,
  type RadioParameters,
  type ReceiverSite,
  type Transmitter,
} from '../../adapters/simulator/radio-model.js';
import { seededRandom } from '../../adapters/simulator/random.js';

const RX: ReceiverSite = { id: 'rx', position: { x: 0, y: 0 }, heightM: 1.2, pathLossExponent: 2.2, gainDb: 0 };
const TX: Transmitter = { powerAt1mDbm: -59, bodyLossDb: 8, heightM: 1.2 };
/** Everything heard, so averages are not biased by the sensitivity cut-off. */
const HEAR_ALL: RadioParameters = { ...DEFAULT_RADIO, sensitivityDbm: -200, packetLoss: 0 };
/** Shadowing only: no fast fading (a huge Rician K) and no receiver noise. */
const SHADOWING_ONLY: RadioParameters = { ...HEAR_ALL, ricianK: 1e9, noiseSigmaDb: 0 };

const facingRx = (x: number): PhonePose => ({ position: { x, y: 0 }, heading: { x: -1, y: 0 } });
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function correlation(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    cov += (x - ma) * (y - mb);
    va += (x - ma) ** 2;
    vb += (y - mb) ** 2;
  });
  return cov / Math.sqrt(va * vb);
}

/** Mean RSSI at `x` metres over many independent links (each its own shadowing draw). */
function meanRssi(model: RadioModel, pose: PhonePose, links = 4000): number {
  const values: number[] = [];
  for (let i = 0; i < links; i++) values.push(model.receive(createLink(), TX, pose, RX, 0)!);
  return mean(values);
}

describe('radio model', () => {
  it('loses about 10·n dB per decade of distance on average', () => {
    const model = new RadioModel(seededRandom(1), [], HEAR_ALL);
    const drop = meanRssi(model, facingRx(2)) - meanRssi(model, facingRx(20));
    expect(drop).toBeGreaterThan(22 - 1);
    expect(drop).toBeLessThan(22 + 1);
  });

  it('keeps shadowing correlated over time for a phone standing still, while fast fading is not', () => {
    const pairs = (params: RadioParameters, gapMs: number) => {
      const model = new RadioModel(seededRandom(2), [], params);
      const first: number[] = [];
      const second: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const link = createLink();
        first.push(model.receive(link, TX, facingRx(5), RX, 0)!);
        second.push(model.receive(link, TX, facingRx(5), RX, gapMs)!);
      }
      return correlation(first, second);
    };
    expect(pairs(SHADOWING_ONLY, 1000)).toBeGreaterThan(0.9);
    const fadingOnly: RadioParameters = { ...HEAR_ALL, spatialSigmaDb: 0, temporalSigmaDb: 0, ricianK: 0, noiseSigmaDb: 0 };
    expect(Math.abs(pairs(fadingOnly, 100))).toBeLessThan(0.1);
  });

  it('decorrelates shadowing as the phone walks away', () => {
    const model = new RadioModel(seededRandom(3), [], { ...SHADOWING_ONLY, temporalSigmaDb: 0 });
    const here: number[] = [];
    const near: number[] = [];
    const far: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const link = createLink();
      here.push(model.receive(link, TX, facingRx(5), RX, 0)!);
      // Path loss differences are the same for every link, so they do not affect correlation.
      near.push(model.receive(link, TX, facingRx(5.2), RX, 100)!);
      far.push(model.receive(link, TX, facingRx(15), RX, 200)!);
    }
    expect(correlation(here, near)).toBeGreaterThan(0.8);
    expect(correlation(near, far)).toBeLessThan(0.1);
  });

  it('loses signal through the wearer’s body and through walls', () => {
    const model = new RadioModel(seededRandom(4), [{ a: { x: 3, y: -5 }, b: { x: 3, y: 5 }, lossDb: 10 }], HEAR_ALL);
    const behind = meanRssi(model, { position: { x: 2, y: 0 }, heading: { x: 1, y: 0 } });
    const facing = meanRssi(model, { position: { x: 2, y: 0 }, heading: { x: -1, y: 0 } });
    expect(facing - behind).toBeGreaterThan(TX.bodyLossDb - 2);
    const throughWall = meanRssi(model, facingRx(4));
    const sameSide = meanRssi(model, facingRx(2));
    expect(sameSide - throughWall).toBeGreaterThan(10 + 10 * 2.2 * Math.log10(2) - 2);
  });

  it('does not hear phones far below the receiver sensitivity', () => {
    const model = new RadioModel(seededRandom(5));
    let heard = 0;
    for (let i = 0; i < 1000; i++) if (model.receive(createLink(), TX, facingRx(400), RX, 0) !== undefined) heard += 1;
    expect(heard).toBeLessThan(10);
  });

  it('replays the same packets from the same seed', () => {
    const run = (seed: number) => {
      const model = new RadioModel(seededRandom(seed));
      const link = createLink();
      return Array.from({ length: 200 }, (_, i) => model.receive(link, TX, facingRx(3 + i * 0.05), RX, i * 100));
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it('gives the level a standing phone averages to over every heading, without drawing or changing anything', () => {
    // Spatial shadowing only: it stays put while the phone stands, so turning is all that varies.
    const params: RadioParameters = { ...SHADOWING_ONLY, temporalSigmaDb: 0 };
    const model = new RadioModel(seededRandom(4), [], params);
    const link = createLink();
    const position = { x: 3, y: 1 };
    const levels: number[] = [];
    for (let i = 0; i < 3600; i++) {
      const angle = (2 * Math.PI * i) / 3600;
      levels.push(model.receive(link, TX, { position, heading: { x: Math.cos(angle), y: Math.sin(angle) } }, RX, 0)!);
    }
    // Fading counts at its mean power (0 dB); in dB a Rayleigh fade averages 2.5 dB lower
    // (10·γ/ln 10), and it is Rayleigh on the half of the headings with the body in the way.
    const rayleighDb = (10 * 0.5772) / Math.log(10);
    expect(mean(levels) - model.meanRssi(link, TX, position, RX)).toBeCloseTo(-rayleighDb / 2, 1);
    // Straight under a ceiling receiver nothing blocks and nothing turns: the level itself.
    const ceiling: ReceiverSite = { ...RX, position, heightM: 2.8 };
    const under = Array.from({ length: 400 }, () => model.receive(link, TX, { position, heading: { x: 1, y: 0 } }, ceiling, 0)!);
    expect(mean(under)).toBeCloseTo(model.meanRssi(link, TX, position, ceiling), 0); // RSSI comes in whole dBm
    // Same seed, with and without asking in between: the same packets.
    const run = (ask: boolean) => {
      const m = new RadioModel(seededRandom(5));
      const l = createLink();
      return Array.from({ length: 50 }, (_, i) => {
        if (ask) m.meanRssi(l, TX, position, RX);
        return m.receive(l, TX, facingRx(3 + i * 0.05), RX, i * 100);
      });
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe('advertising schedules', () => {
  const times = (carrier: keyof typeof ADVERTISING, seconds: number) => {
    const schedule = new AdvertisingSchedule(ADVERTISING[carrier], seededRandom(6), 0);
    const out: number[] = [];
    for (let t = schedule.next(); t < seconds * 1000; t = schedule.next()) out.push(t);
    return out;
  };
  const gaps = (ts: readonly number[]) => ts.slice(1).map((t, i) => t - ts[i]!);

  it('sends steadily in the foreground, with the spec’s 0-10 ms jitter', () => {
    for (const [carrier, interval] of [['android', 1000], ['ios-foreground', 100]] as const) {
      const g = gaps(times(carrier, 600));
      expect(Math.min(...g)).toBeGreaterThanOrEqual(interval);
      expect(Math.max(...g)).toBeLessThanOrEqual(interval + 10);
    }
  });

  it('sends a backgrounded iPhone’s packets in bursts with gaps of seconds to tens of seconds', () => {
    const ts = times('ios-background', 3600);
    const g = gaps(ts);
    const long = g.filter((x) => x >= 3000);
    expect(long.length).toBeGreaterThan(50);
    expect(Math.max(...g)).toBeGreaterThan(15_000);
    expect(Math.max(...g)).toBeLessThanOrEqual(30_000 + 210);
    // Within bursts, about every 200 ms.
    expect(g.filter((x) => x < 3000).every((x) => x >= 200 && x <= 210)).toBe(true);
    // Far fewer packets than a phone in the foreground.
    expect(ts.length).toBeLessThan(times('ios-foreground', 3600).length / 3);
  });
});
