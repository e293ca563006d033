// Receiver mode (ble.mode: receiver): a box near the tills with its own adapters that
// forwards what they hear to the main gateway's broker, and does nothing else.

import { MergedSource } from '../ble/merged-source.js';
import { SightingForwarder } from '../ble/sighting-forwarder.js';
import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { topicsFor } from '../mqtt/topics.js';
import type { Clock, MessageBus, ServiceNotifier } from '../ports.js';
import { startRadioWatchdogs } from './radio-watchdogs.js';
import { shutdown } from './shutdown.js';
import type { LocalRadio, RunningGateway } from './types.js';

/** The adapters a receiver runs on, made by the composition root. */
export interface ReceiverKit {
  readonly clock: Clock;
  readonly notifier: ServiceNotifier;
  /** The connection to the main gateway's broker, with a retained `offline` last will on `willTopic`. */
  bus(willTopic: string): MessageBus;
  /** The configured local adapters, not started. */
  radios(): readonly LocalRadio[];
}

export async function startReceiver(config: Config, kit: ReceiverKit, log: Logger): Promise<RunningGateway> {
  if (config.mqtt.url === '') throw new VitrinError('VITRIN_ERR_RECEIVER_MODE', "receiver mode needs mqtt.url: the main gateway's broker");
  const { clock, notifier } = kit;
  const topics = topicsFor(config.store.id);
  const stateTopic = `${topics.base}receivers/${config.ble.adapters[0]!.receiver}/state`;
  const stack = new LifecycleStack(log.child({ module: 'lifecycle' }));
  try {
    const bus = kit.bus(stateTopic);
    await stack.start('mqtt', () => bus.start(), async () => {
      // A clean `offline` when the broker is there; with it gone the last will says so. The connection is closed either way.
      try {
        if (bus.isConnected()) await bus.publish(stateTopic, 'offline', { qos: 1, retain: true });
      } finally {
        await bus.stop();
      }
    });
    await bus.publish(stateTopic, 'online', { qos: 1, retain: true });
    const radios = kit.radios();
    const source = new MergedSource(radios);
    const forwarder = new SightingForwarder({ source, bus, topic: topics.sightings, appUuid: config.identity.appUuid.toLowerCase(), clock, log: log.child({ module: 'forwarder' }) });
    await stack.start('inputs', () => source.start(), () => source.stop());
    await stack.start('forwarder', () => forwarder.start(), () => forwarder.stop());
    for (const radio of radios) await stack.start(`radio ${radio.receiverId}`, () => radio.start(), () => radio.stop());
    await startRadioWatchdogs(radios, config, () => undefined, clock, log, stack);
    notifier.ready('receiver: forwarding sightings');
    notifier.startWatchdog(() => bus.isConnected());
    log.info({ mqtt: config.mqtt.url, receivers: radios.map((r) => r.receiverId) }, 'Vitrin receiver is forwarding sightings');
    return {
      log,
      httpUrl: '',
      mqttUrl: config.mqtt.url,
      simulated: false,
      stop: shutdown(stack, notifier, log, 'Vitrin receiver stopped'),
    };
  } catch (err) {
    await stack.stopAll();
    notifier.close();
    throw err;
  }
}
