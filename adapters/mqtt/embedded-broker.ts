import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { Lifecycle } from '../../gateway/ports.js';

export interface EmbeddedBrokerOptions {
  readonly host: string;
  /** 0 picks a free port; read it back with address(). */
  readonly port: number;
  readonly log: Logger;
}

/**
 * The MQTT broker for a one-command start (aedes, MQTT 3.1.1). Stores that run
 * Mosquitto set `mqtt.url` instead and this never starts.
 */
export class EmbeddedBroker implements Lifecycle {
  private broker: Aedes | undefined;
  private server: Server | undefined;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  async start(): Promise<void> {
    const { host, port, log } = this.options;
    const broker = await Aedes.createBroker({ drainTimeout: 30_000 });
    broker.on('client', (client) => log.debug({ clientId: client.id }, 'client connected'));
    broker.on('clientDisconnect', (client) => log.debug({ clientId: client.id }, 'client disconnected'));
    const server = createServer((socket) => broker.handle(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw new VitrinError(
        'VITRIN_ERR_MQTT_BROKER_LISTEN',
        `the embedded MQTT broker cannot listen on ${host}:${port} (${(cause as NodeJS.ErrnoException).code ?? 'error'}); free the port, change mqtt.embedded.port, or set mqtt.url to use an external broker`,
        { cause },
      );
    }
    server.on('error', (err) => log.error({ err }, 'embedded broker socket error'));
    this.broker = broker;
    this.server = server;
    log.info({ host, port: this.address().port }, 'embedded MQTT broker listening');
  }

  address(): { host: string; port: number } {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('embedded broker is not listening');
    return { host: address.address, port: address.port };
  }

  async stop(): Promise<void> {
    const { server, broker } = this;
    this.server = undefined;
    this.broker = undefined;
    if (server !== undefined) {
      // close() waits for open connections; the broker closing below ends them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (broker !== undefined) await new Promise<void>((resolve) => broker.close(() => resolve()));
      server.unref();
      await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }
}
