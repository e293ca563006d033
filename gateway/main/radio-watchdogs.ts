// One watchdog per local adapter: a radio silent for ble.watchdogSeconds is restarted.

import type { NobleSource } from '../../adapters/ble-noble/noble-source.js';
import { RadioWatchdog, type WatchdogAction } from '../ble/radio-watchdog.js';
import type { Config } from '../config/schema.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports.js';

export async function startRadioWatchdogs(
  radios: readonly NobleSource[],
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
