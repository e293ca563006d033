import type { Logger } from '../log.js';
import type { Advertisement, AdvertisementSource, Clock, InboundMessage, MessageBus, Unsubscribe } from '../ports.js';
import { appUuidForms, readEspresenseMessage } from './espresense.js';

export type EspresenseOutcome = 'accepted' | 'other' | 'invalid' | 'unknown-room';

export interface EspresenseSourceOptions {
  readonly bus: MessageBus;
  /** The nodes' base topic (their "MQTT topic prefix", `espresense` by default). */
  readonly topicPrefix: string;
  /** ESPresense room name to the receiver id it reports as. */
  readonly rooms: ReadonlyMap<string, string>;
  readonly appUuid: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onMessage?: (outcome: EspresenseOutcome) => void;
}

/**
 * ESPresense nodes as remote receivers. Each configured room reports as one of the
 * config's receivers; messages from other rooms and about other devices are counted
 * and forgotten. Nodes send no timestamp, so a reading is dated when it arrives.
 */
export class EspresenseSource implements AdvertisementSource {
  readonly kind = 'mqtt' as const;
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  private readonly uuidForms: ReadonlySet<string>;
  private readonly warned = new Set<string>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(private readonly options: EspresenseSourceOptions) {
    this.uuidForms = appUuidForms(options.appUuid);
  }

  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(): Promise<void> {
    if (this.options.rooms.size === 0) return;
    this.unsubscribe = await this.options.bus.subscribe(`${this.options.topicPrefix}/devices/+/+`, (message) => this.receive(message));
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return Promise.resolve();
  }

  private receive(message: InboundMessage): void {
    const levels = message.topic.split('/');
    const room = levels.at(-1) ?? '';
    const reading = readEspresenseMessage(levels.at(-2) ?? '', room, message.payload, this.uuidForms, this.options.appUuid);
    if (reading.kind === 'other') return this.options.onMessage?.('other');
    const receiverId = this.options.rooms.get(room);
    if (receiverId === undefined) return this.reject('unknown-room', room, `room "${room}" is not in ble.espresense.rooms`);
    if (reading.kind === 'invalid') return this.reject('invalid', room, reading.problem);
    this.options.onMessage?.('accepted');
    const ad: Advertisement = { receiverId, address: reading.address, addressType: 'unknown', rssi: reading.rssi, data: reading.data, receivedAt: this.options.clock.now() };
    for (const listener of this.listeners) listener(ad);
  }

  private reject(outcome: 'invalid' | 'unknown-room', room: string, problem: string): void {
    this.options.onMessage?.(outcome);
    // Once per room and kind, and never the payload: a misconfigured node must not flood the log.
    const key = `${outcome}:${room}`;
    if (this.warned.has(key) || this.warned.size >= 100) return;
    this.warned.add(key);
    this.options.log.warn({ room: room.slice(0, 64), code: 'VITRIN_ERR_SIGHTINGS_INVALID', problem }, 'ESPresense message dropped');
  }
}
