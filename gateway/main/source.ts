// Where the gateway's adverts come from: the local adapters, or in demo mode the
// simulated store, so that `npm start` works on any laptop.

import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { AdvertisementSource } from '../ports.js';
import type { LocalRadio } from './types.js';

/** The adapters the choice is made between, made by the composition root. */
export interface SourceKit<R extends LocalRadio> {
  /** Whether the machine has a Bluetooth adapter (/sys/class/bluetooth lists one). */
  hasBluetoothAdapter(): boolean;
  /** The simulated store, not started. */
  simulatedStore(): AdvertisementSource;
  /** The local adapter that reports as `receiverId`, not started. */
  radio(receiverId: string): R;
}

export interface SourceChoice<R extends LocalRadio> {
  /** The simulator or a replay, started last; undefined when the radios are the source. */
  readonly source?: AdvertisementSource;
  /** The local adapters, already started, for the watchdog, metrics and readiness. */
  readonly radios: readonly R[];
}

function simulated<R extends LocalRadio>(config: Config, kit: SourceKit<R>): SourceChoice<R> {
  if (config.mode !== 'demo') {
    throw new VitrinError('VITRIN_ERR_BLE_SOURCE', 'the simulated store runs in demo mode only; set mode: demo, or ble.source: radio');
  }
  return { source: kit.simulatedStore(), radios: [] };
}

/**
 * The radio when one is configured or present; otherwise, in demo mode only, the
 * simulated store. In demo mode a radio that cannot start (no permission, blocked)
 * falls back to the simulator with a warning.
 */
export async function chooseSource<R extends LocalRadio>(config: Config, kit: SourceKit<R>, log: Logger, stack: LifecycleStack): Promise<SourceChoice<R>> {
  const { ble } = config;
  if (ble.source === 'simulator') return simulated(config, kit);
  const present = ble.uart !== '' || kit.hasBluetoothAdapter();
  if (ble.source === 'auto' && !present) {
    if (config.mode === 'demo') return simulated(config, kit);
    throw new VitrinError('VITRIN_ERR_BLE_ADAPTER', 'no Bluetooth adapter found (/sys/class/bluetooth is empty): plug one in, check `rfkill list`, or set ble.uart');
  }
  const radios = ble.adapters.map((adapter) => kit.radio(adapter.receiver));
  try {
    for (const radio of radios) await stack.start(`radio ${radio.receiverId}`, () => radio.start(), () => radio.stop());
  } catch (err) {
    if (!(config.mode === 'demo' && ble.source === 'auto' && err instanceof VitrinError)) throw err;
    await Promise.allSettled(radios.map((radio) => radio.stop()));
    log.warn({ code: err.code, reason: err.message }, 'the Bluetooth adapter cannot be used; demo mode falls back to the simulated store');
    return simulated(config, kit);
  }
  return { radios };
}
