// Receiver mode, for large stores: this box's adapters only, forwarding frames in the
// app's formats to the main gateway's broker. No roster, no store, no cards here.

import { SystemClock } from '../../adapters/clock/system-clock.js';
import { SdNotifier } from '../../adapters/systemd/sd-notify.js';
import { MergedSource } from '../ble/merged-source.js';
import { RadioWatchdog } from '../ble/radio-watchdog.js';
import { SightingForwarder } from '../ble/sighting-forwarder.js';
import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { topicsFor } from '../mqtt/topics.js';
import { mqttBus } from './mqtt.js';
import { openRadio } from './sources.js';
import type { RunningGateway } from './types.js';

export async function startReceiver(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<RunningGateway> {
  if (config.mqtt.url === '') throw new VitrinError('VITRIN_ERR_RECEIVER_MODE', "receiver mode needs mqtt.url: the main gateway's broker");
  const clock = new SystemClock();
  const topics = topicsFor(config.store.id);
  const stateTopic = `${topics.base}receivers/${config.ble.adapters[0]!.receiver}/state`;
  const stack = new LifecycleStack(log.child({ module: 'lifecycle' }));
  const notifier = new SdNotifier({ env, log: log.child({ module: 'systemd' }) });
  try {
    const bus = mqttBus(config, config.mqtt.url, stateTopic, log);
    await stack.start('mqtt', () => bus.start(), () => bus.publish(stateTopic, 'offline', { qos: 1, retain: true }).then(() => bus.stop()));
    await bus.publish(stateTopic, 'online', { qos: 1, retain: true });
    const radios = config.ble.adapters.map((adapter) => openRadio(config, adapter.receiver, log, clock));
    const source = new MergedSource(radios);
    const forwarder = new SightingForwarder({ source, bus, topic: topics.sightings, appUuid: config.identity.appUuid.toLowerCase(), clock, log: log.child({ module: 'forwarder' }) });
    await stack.start('inputs', () => source.start(), () => source.stop());
    await stack.start('forwarder', () => forwarder.start(), () => forwarder.stop());
    for (const radio of radios) {
      await stack.start(`radio ${radio.receiverId}`, () => radio.start(), () => radio.stop());
      const watchdog = new RadioWatchdog({ radio, silenceMs: config.ble.watchdogSeconds * 1000, clock, log: log.child({ module: 'ble-watchdog' }) });
      radio.onAdvertisement(() => watchdog.heard());
      await stack.start(`watchdog ${radio.receiverId}`, () => watchdog.start(), () => watchdog.stop());
    }
    notifier.ready('receiver: forwarding sightings');
    notifier.startWatchdog(() => bus.isConnected());
    log.info({ mqtt: config.mqtt.url, receivers: radios.map((r) => r.receiverId) }, 'Vitrin receiver is forwarding sightings');
    return {
      log,
      httpUrl: '',
      mqttUrl: config.mqtt.url,
      simulated: false,
      stop: async () => {
        notifier.stopping();
        notifier.stopWatchdog();
        await stack.stopAll();
        notifier.close();
      },
    };
  } catch (err) {
    await stack.stopAll();
    notifier.close();
    throw err;
  }
}
