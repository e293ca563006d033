// One watchdog per local adapter: a radio silent for ble.watchdogSeconds is restarted.

import { RadioWatchdog, type WatchdogAction } from '../ble/radio-watchdog.js';
import type { Config } from '../config/schema.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Advertisement, Clock, RadioControl } from '../ports.js';

/** A local adapter: its controls, and its adverts to tell silence from a quiet store. */
export type WatchedRadio = RadioControl & { onAdvertisement(listener: (ad: Advertisement) => void): unknown };

export async function startRadioWatchdogs(
  radios: readonly WatchedRadio[],
  config: Config,
  onAction: (receiverId: string, action: WatchdogAction) => void,
  clock: Clock,
  log: Logger,
  stack: LifecycleStack,
): Promise<RadioWatchdog[]> {
  const watchdogs: RadioWatchdog[] = [];
  for (const radio of radios) {
    const watchdog = new RadioWatchdog({
      radio,
      silenceMs: config.ble.watchdogSeconds * 1000,
      clock,
      log: log.child({ module: 'ble-watchdog' }),
      onAction: (action) => onAction(radio.receiverId, action),
    });
    radio.onAdvertisement(() => watchdog.heard());
    watchdogs.push(watchdog);
    await stack.start(`watchdog ${radio.receiverId}`, () => watchdog.start(), () => watchdog.stop());
  }
  return watchdogs;
}
