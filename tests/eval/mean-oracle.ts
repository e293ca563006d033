import type { FloorPlan } from '../../adapters/simulator/floor-plan.js';
import type { Point, RadioModel } from '../../adapters/simulator/radio-model.js';
import type { Shopper } from './shoppers.js';

// A reference for zone accuracy, not a tracker: the zone whose receiver is loudest on
// average for a shopper standing here, with the link's shadowing as it is now and
// everything that averages out while standing (fading, noise, passers-by, the body's
// turning) taken away. It reads the radio model's hidden state, which no gateway can
// see. Where it names the wrong zone, the shadowing that stays put while the shopper
// stands makes another zone sound closer, and only the path walked can tell otherwise.
// Zones score as the tracker scores them: -20·log10 of the distance the calibrated
// level and the frame's power at 1 m give, nearest receiver per zone.

export function loudestZone(plan: FloorPlan, radio: RadioModel, shopper: Shopper, position: Point): string | undefined {
  let best: string | undefined;
  let bestScore = -Infinity;
  plan.receivers.forEach((site, i) => {
    const link = shopper.links[i]!;
    const calibrated = radio.meanRssi(link, shopper.transmitter, position, site) - site.gainDb;
    const score = (2 * (calibrated - shopper.measuredPower)) / site.pathLossExponent;
    if (score > bestScore) {
      bestScore = score;
      best = site.zone;
    }
  });
  return best;
}
