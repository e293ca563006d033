// Adverts that arrive over MQTT rather than from a local adapter: Vitrin receiver boxes
// (`sightings/<receiver>`) and ESPresense rooms.

import { EspresenseSource } from '../ble/espresense-source.js';
import { SightingsSource } from '../ble/sightings-source.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Topics } from '../mqtt/topics.js';
import type { Clock, MessageBus } from '../ports.js';

export interface NetworkSources {
  readonly sightings: SightingsSource;
  readonly espresense: EspresenseSource;
}

/** Both sources on the gateway's bus; `metrics` is read when a message arrives, so it may be made later. */
export function networkSources(config: Config, bus: MessageBus, topics: Topics, metrics: () => Metrics, clock: Clock, log: Logger): NetworkSources {
  const sightings = new SightingsSource({
    bus,
    filter: topics.allSightings,
    receivers: new Set(config.receivers.map((r) => r.id)),
    log: log.child({ module: 'sightings' }),
    onMessage: (outcome) => metrics().sightings.inc({ outcome }),
  });
  const espresense = new EspresenseSource({
    bus,
    topicPrefix: config.ble.espresense.topicPrefix,
    rooms: new Map(config.ble.espresense.rooms.map((r) => [r.room, r.receiver])),
    appUuid: config.identity.appUuid.toLowerCase(),
    clock,
    log: log.child({ module: 'espresense' }),
    onMessage: (outcome) => metrics().espresense.inc({ outcome }),
  });
  return { sightings, espresense };
}
