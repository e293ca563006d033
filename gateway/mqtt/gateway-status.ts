import type { GatewayInfo } from '../contracts/gateway.js';
import type { Logger } from '../log.js';
import type { Lifecycle, MessageBus, ModelIdentity } from '../ports.js';
import type { Topics } from './topics.js';


/**
 * Retained `gateway/state` and `gateway/info`, like zigbee2mqtt's bridge/state: the
 * broker publishes the last will `offline` if the gateway dies, and a clean stop
 * publishes it itself before disconnecting.
 */
export class GatewayStatus implements Lifecycle {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private info: GatewayInfo,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.announce();
    // After a reconnect the broker may have published our will; say online again.
    this.unsubscribe = this.bus.onConnectionChange((connected) => {
      if (connected) this.announce().catch((err: unknown) => this.log.warn({ err }, 'could not re-announce online state'));
    });
  }

  /** A new model is in use: gateway/info says so at once. */
  updateModel(model: ModelIdentity): void {
    this.info = { ...this.info, model: { id: model.id, version: model.version, sha256: model.sha256 } };
    this.announce().catch((err: unknown) => this.log.warn({ err }, 'could not announce the new model'));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    if (this.bus.isConnected()) await this.bus.publish(this.topics.state, 'offline', { qos: 1, retain: true });
  }

  private async announce(): Promise<void> {
    await this.bus.publish(this.topics.info, JSON.stringify(this.info), { qos: 1, retain: true, contentType: 'application/json' });
    await this.bus.publish(this.topics.state, 'online', { qos: 1, retain: true });
  }
}
