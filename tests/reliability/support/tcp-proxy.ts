import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

// The network between the gateway and its broker, with two ways to break it: `cut`
// resets every connection and refuses new ones (a broker host rebooting, a switch port
// going down with the kernel noticing), and `blackhole` keeps the connections open but
// moves no byte either way (a cable pulled mid-link, Wi-Fi gone): what is written waits
// and goes through when the link heals.

type Link = 'up' | 'cut' | 'blackhole';

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private link: Link = 'up';

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<number> {
    const server = createServer({ noDelay: true }, (client) => this.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  cut(): void {
    this.link = 'cut';
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  blackhole(): void {
    this.link = 'blackhole';
    for (const pair of this.pairs) hold(pair);
  }

  heal(): void {
    this.link = 'up';
    for (const { client, upstream } of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }

  connections(): number {
    return this.pairs.size;
  }

  private accept(client: Socket): void {
    if (this.link === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect({ ...this.target, noDelay: true });
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    if (this.link === 'blackhole') hold(pair);
    else {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }
}

/** Bytes stay in the sockets' buffers until the link heals. */
function hold({ client, upstream }: Pair): void {
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}
