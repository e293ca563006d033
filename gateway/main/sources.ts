// Where adverts come from: the local adapters, the simulated store (demo mode only) or
// a capture being replayed.

import { existsSync, readdirSync } from 'node:fs';
import type { ReplayClock } from '../../adapters/ble-replay/replay-clock.js';
import { ReplaySource } from '../../adapters/ble-replay/replay-source.js';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import { NobleSource } from '../../adapters/ble-noble/noble-source.js';
import { SimulatedStore } from '../../adapters/simulator/simulated-store.js';
import { decodeAdvertisement } from '../ble/decode.js';
import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { Resolver } from '../identity/resolver.js';
import type { Roster } from '../identity/roster.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { AdvertisementSource, Clock } from '../ports.js';
import type { ReplayRequest } from './types.js';

export interface SourceChoice {
  /** The simulator or a replay, started last; undefined when the radios are the source. */
  readonly source?: AdvertisementSource;
  /** The local adapters, already started, for the watchdog, metrics and readiness. */
  readonly radios: readonly NobleSource[];
}

function hasBluetoothAdapter(): boolean {
  const dir = '/sys/class/bluetooth';
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('hci'));
}

function simulatedStore(config: Config, roster: Roster, clock: Clock, log: Logger): SourceChoice {
  if (config.mode !== 'demo') {
    throw new VitrinError('VITRIN_ERR_BLE_SOURCE', 'the simulated store runs in demo mode only; set mode: demo, or ble.source: radio');
  }
  const source = new SimulatedStore({
    settings: config.simulator,
    roster,
    appUuid: config.identity.appUuid.toLowerCase(),
    zones: config.zones,
    receivers: config.receivers,
    clock,
    log: log.child({ module: 'simulator' }),
  });
  return { source, radios: [] };
}

/** One local adapter as configured (the first, or the one reporting as `receiverId`), not started: for `vitrin record`. */
export function openRadio(config: Config, receiverId: string | undefined, log: Logger, clock: Clock = new SystemClock()): NobleSource {
  const { ble } = config;
  const index = receiverId === undefined ? 0 : ble.adapters.findIndex((a) => a.receiver === receiverId);
  const adapter = ble.adapters[index];
  if (adapter === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', `no adapter in ble.adapters reports as receiver ${receiverId ?? ''}`);
  return new NobleSource({
    binding: ble.binding,
    device: adapter.device,
    receiverId: adapter.receiver,
    ...(index === 0 && ble.uart !== '' ? { uart: ble.uart } : {}),
    overflowBit: config.identity.ios.overflowBit,
    startTimeoutMs: ble.startTimeoutSeconds * 1000,
    clock,
    log: log.child({ module: 'ble', receiver: adapter.receiver }),
  });
}

/**
 * The radio when one is configured or present; otherwise, in demo mode only, the
 * simulated store. In demo mode a radio that cannot start (no permission, blocked)
 * falls back to the simulator with a warning, so `npm start` works on any laptop.
 */
export async function chooseSource(config: Config, roster: Roster, clock: Clock, log: Logger, stack: LifecycleStack): Promise<SourceChoice> {
  const { ble } = config;
  if (ble.source === 'simulator') return simulatedStore(config, roster, clock, log);
  const present = ble.uart !== '' || hasBluetoothAdapter();
  if (ble.source === 'auto' && !present) {
    if (config.mode === 'demo') return simulatedStore(config, roster, clock, log);
    throw new VitrinError('VITRIN_ERR_BLE_ADAPTER', 'no Bluetooth adapter found (/sys/class/bluetooth is empty): plug one in, check `rfkill list`, or set ble.uart');
  }
  const radios = ble.adapters.map((adapter) => openRadio(config, adapter.receiver, log, clock));
  try {
    for (const radio of radios) await stack.start(`radio ${radio.receiverId}`, () => radio.start(), () => radio.stop());
  } catch (err) {
    if (!(config.mode === 'demo' && ble.source === 'auto' && err instanceof VitrinError)) throw err;
    await Promise.allSettled(radios.map((radio) => radio.stop()));
    log.warn({ code: err.code, reason: err.message }, 'the Bluetooth adapter cannot be used; demo mode falls back to the simulated store');
    return simulatedStore(config, roster, clock, log);
  }
  return { radios };
}

export function replaySource(request: ReplayRequest, roster: Roster, config: Config, clock: ReplayClock, log: Logger): ReplaySource {
  // The summary's own resolver: the same roster and rule as the pipeline's, counting members without touching it.
  const resolver = new Resolver(roster, config.identity.appUuid.toLowerCase());
  const observer = request.observer;
  return new ReplaySource({
    file: request.file,
    receiverId: request.receiverId,
    speed: request.speed,
    clock,
    log: log.child({ module: 'replay' }),
    ...(observer === undefined
      ? {}
      : {
          observer: {
            record: (kind, index) => observer.record(kind, index),
            report: (report, ad) => {
              const frame = decodeAdvertisement(ad.data);
              const resolution = frame === undefined ? undefined : resolver.resolve(frame, ad.receivedAt);
              observer.report(report, resolution?.status === 'member' ? resolution.member.id : undefined);
            },
          },
        }),
  });
}
