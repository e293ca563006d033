import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import { mayPublish, mayRead, maySubscribe, type AccessRules } from '../../gateway/mqtt/access.js';
import type { BrokerAccess, LoginVerdict } from '../../gateway/mqtt/broker-logins.js';
import { topicMatches } from '../../gateway/mqtt/topic-match.js';
import type { InboundIntake, Lifecycle } from '../../gateway/ports.js';

export interface EmbeddedBrokerTls {
  readonly host: string;
  readonly port: number;
  /** PEM files: the certificate (with its chain) and its private key. */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface EmbeddedBrokerOptions {
  readonly host: string;
  /** 0 picks a free port; read it back with address(). */
  readonly port: number;
  /** A second listener, speaking MQTT over TLS. */
  readonly tls?: EmbeddedBrokerTls;
  /** Checks every CONNECT, publish, subscription and delivery. Absent: anyone may do anything (tests). */
  readonly access?: BrokerAccess;
  /**
   * Topic filter of the publishes the gateway takes in directly (attachIntake) before
   * their sender's PUBACK, instead of over its own subscription. Until an intake is
   * attached they wait, unacknowledged.
   */
  readonly intakeFilter?: string;
  readonly log: Logger;
}

const RETURN_CODES: Record<Exclude<LoginVerdict, { ok: true }>['reason'], number> = {
  'client-id-taken': 2,
  'bad-credentials': 4,
  'not-authorized': 5,
};

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MQTT_TLS', `cannot read ${setting} ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}

/**
 * The MQTT broker for a one-command start (aedes, MQTT 3.1.1). Stores that run
 * Mosquitto set `mqtt.url` instead and this never starts.
 */
export class EmbeddedBroker implements Lifecycle {
  private broker: Aedes | undefined;
  private readonly servers: Server[] = [];
  private readonly grants = new WeakMap<Client, AccessRules>();
  /** The login each connected client used: a client id in use may only be taken over by the same login. */
  private readonly usernames = new WeakMap<Client, string>();
  /** Connected clients by client id (aedes keeps its own table, but not in its types). */
  private readonly connected = new Map<string, Client>();
  private intake: InboundIntake | undefined;
  /**
   * Publishes for the intake that arrived before it was attached, in order. Bounded:
   * aedes reads a client's next bytes only once the packets of its last read are handled.
   */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  /**
   * From now on, publishes matching `intakeFilter` go to `intake` first and are
   * acknowledged to their sender when it resolves; they are still delivered to
   * subscribers (integrators watching), so the gateway must not subscribe to them as
   * well. Held publishes are released to it now.
   */
  attachIntake(intake: InboundIntake): void {
    this.intake = intake;
    for (const release of this.waiting.splice(0)) release();
  }

  /** Stops handing publishes to the intake (the gateway is stopping); later ones wait and, unacknowledged, are sent again by their senders. */
  detachIntake(): void {
    this.intake = undefined;
  }

  async start(): Promise<void> {
    const { host, port, tls, log } = this.options;
    const pem = tls === undefined ? undefined : { cert: readPem(tls.certFile, 'mqtt.tls.cert'), key: readPem(tls.keyFile, 'mqtt.tls.key') };
    const broker = await Aedes.createBroker({ drainTimeout: 30_000, ...this.guards() });
    broker.on('client', (client) => log.debug({ clientId: client.id }, 'client connected'));
    broker.on('clientDisconnect', (client) => {
      if (this.connected.get(client.id) === client) this.connected.delete(client.id);
      log.debug({ clientId: client.id }, 'client disconnected');
    });
    this.broker = broker;
    // TCP_NODELAY on every connection: a card must not wait for Nagle's algorithm.
    const plain = createServer({ noDelay: true }, (socket) => broker.handle(socket));
    const listeners: [Server, string, number, string][] = [[plain, host, port, 'mqtt.embedded.port']];
    if (tls !== undefined && pem !== undefined) {
      let secure: TlsServer;
      try {
        secure = createTlsServer(pem, (socket) => {
          socket.setNoDelay(true);
          broker.handle(socket);
        });
      } catch (cause) {
        await this.stop();
        throw new VitrinError('VITRIN_ERR_MQTT_TLS', `mqtt.tls.cert and .key are not a usable PEM certificate and key: ${(cause as Error).message}`, { cause });
      }
      // A client that fails the handshake is its own problem, not the broker's.
      secure.on('tlsClientError', (err) => log.debug({ err: { message: err.message } }, 'TLS handshake failed'));
      listeners.push([secure, tls.host, tls.port, 'mqtt.tls.port']);
    }
    for (const [server, listenHost, listenPort, setting] of listeners) {
      try {
        await listen(server, listenHost, listenPort);
      } catch (cause) {
        await this.stop();
        throw new VitrinError(
          'VITRIN_ERR_MQTT_BROKER_LISTEN',
          `the embedded MQTT broker cannot listen on ${listenHost}:${listenPort} (${(cause as NodeJS.ErrnoException).code ?? 'error'}); free the port, change ${setting}, or set mqtt.url to use an external broker`,
          { cause },
        );
      }
      server.on('error', (err) => log.error({ err }, 'embedded broker socket error'));
      this.servers.push(server);
    }
    log.info(
      { host, port: this.address().port, ...(tls === undefined ? {} : { tls: this.tlsAddress() }), logins: this.options.access !== undefined },
      'embedded MQTT broker listening',
    );
  }

  address(): { host: string; port: number } {
    return this.addressOf(this.servers[0]);
  }

  /** The TLS listener's address; throws when there is none. */
  tlsAddress(): { host: string; port: number } {
    return this.addressOf(this.servers[1]);
  }

  async stop(): Promise<void> {
    const servers = this.servers.splice(0);
    const broker = this.broker;
    this.broker = undefined;
    // Held publishes stay unacknowledged; their senders send them again to the next start.
    this.intake = undefined;
    this.waiting.length = 0;
    // close() waits for open connections; the broker closing below ends them.
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    if (broker !== undefined) await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const server of servers) server.unref();
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  private addressOf(server: Server | undefined): { host: string; port: number } {
    const address = server?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) throw new Error('embedded broker is not listening there');
    return { host: address.address, port: address.port };
  }

  /**
   * A publish for the intake: handed over when one is attached, else held until then.
   * `done` lets aedes deliver the message and send the PUBACK; it is called only after
   * the intake has the message committed. An intake that fails leaves the message
   * unacknowledged: the connection is closed and the sender sends it again.
   */
  private takeIn(client: Client | null, packet: { topic: string; payload: Buffer | string }, done: (err: Error | null) => void): void {
    const hand = (): void => {
      const intake = this.intake;
      if (intake === undefined) {
        this.waiting.push(hand);
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      intake({ topic: packet.topic, payload }).then(
        () => done(null),
        (err: unknown) => {
          this.options.log.error({ err, clientId: client?.id, topic: packet.topic }, 'the gateway could not take a message in; its sender gets no PUBACK and sends it again');
          done(new Error('not taken in'));
        },
      );
    };
    hand();
  }

  private forIntake(topic: string): boolean {
    const filter = this.options.intakeFilter;
    return filter !== undefined && topicMatches(filter, topic);
  }

  /** aedes hooks that apply the core's login and topic rules, and hand the intake its messages. */
  private guards(): Partial<AedesOptions> {
    const { access, log } = this.options;
    if (access === undefined) {
      if (this.options.intakeFilter === undefined) return {};
      return {
        authorizePublish: (client, packet, done) => (client !== null && this.forIntake(packet.topic) ? this.takeIn(client, packet, done) : done(null)),
      };
    }
    const refuse = (client: Client, what: string, topic: string): void => {
      log.warn({ clientId: client.id, topic }, `MQTT ${what} refused: not this client's topic`);
    };
    return {
      authenticate: (client, username, password, done) => {
        const remoteAddress = (client.conn as Socket).remoteAddress;
        const holder = this.connected.get(client.id);
        const clientIdHeldBy = holder === undefined || holder === client ? undefined : this.usernames.get(holder);
        access.login({ clientId: client.id, username: username ?? undefined, password: password ?? undefined, remoteAddress, ...(clientIdHeldBy === undefined ? {} : { clientIdHeldBy }) }).then(
          (verdict) => {
            if (verdict.ok) {
              this.grants.set(client, verdict.rules);
              this.usernames.set(client, verdict.username);
              this.connected.set(client.id, client);
              log.debug({ clientId: client.id, username: verdict.username, role: verdict.role }, 'MQTT login');
              return done(null, true);
            }
            log.warn({ clientId: client.id, username, remoteAddress, reason: verdict.reason }, `MQTT login refused: ${verdict.message}`);
            done(Object.assign(new Error(verdict.message), { returnCode: RETURN_CODES[verdict.reason] }) as AuthenticateError, false);
          },
          (err: unknown) => {
            log.error({ err }, 'MQTT login check failed');
            done(Object.assign(new Error('login check failed'), { returnCode: 3 }) as AuthenticateError, false);
          },
        );
      },
      // An unauthorised publish closes the connection (MQTT 3.1.1 allows no negative PUBACK); the message goes nowhere.
      authorizePublish: (client, packet, done) => {
        const rules = client === null ? undefined : this.grants.get(client);
        if (rules !== undefined && mayPublish(rules, packet.topic)) return this.forIntake(packet.topic) ? this.takeIn(client, packet, done) : done(null);
        if (client !== null) refuse(client, 'publish', packet.topic);
        done(new Error(`not authorised to publish to ${packet.topic}`));
      },
      // A refused subscription gets SUBACK 0x80 (failure); the connection stays.
      authorizeSubscribe: (client, subscription, done) => {
        const rules = this.grants.get(client);
        if (rules !== undefined && maySubscribe(rules, subscription.topic)) return done(null, subscription);
        refuse(client, 'subscription', subscription.topic);
        done(null, null);
      },
      authorizeForward: (client, packet) => {
        const rules = this.grants.get(client);
        return rules !== undefined && mayRead(rules, packet.topic) ? packet : null;
      },
    };
  }
}
