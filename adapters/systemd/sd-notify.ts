import { createRequire } from 'node:module';
import type { Logger } from '../../gateway/log.js';
import type { ServiceNotifier } from '../../gateway/ports.js';

interface DgramSocket {
  on(event: 'error', fn: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  close(): void;
}

interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

export interface SdNotifierOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
}

/**
 * sd_notify(3) over the datagram socket systemd names in NOTIFY_SOCKET (Node has no
 * unix datagram sockets of its own, hence unix-dgram). Outside systemd every call is
 * a no-op. Notification failures are logged, never thrown: they must not stop the
 * gateway.
 */
export class SdNotifier implements ServiceNotifier {
  private socket: DgramSocket | undefined;
  private readonly path: string | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly options: SdNotifierOptions) {
    const path = options.env.NOTIFY_SOCKET;
    if (path === undefined || path === '') return;
    if (path.startsWith('@')) {
      options.log.warn({ socket: path }, 'abstract NOTIFY_SOCKET is not supported; systemd notifications are off');
      return;
    }
    try {
      const unix = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
      this.socket = unix.createSocket('unix_dgram');
      this.socket.on('error', (err) => options.log.debug({ err }, 'sd_notify send failed'));
      this.path = path;
    } catch (err) {
      options.log.warn({ err }, 'unix-dgram is not available; systemd notifications are off');
    }
  }

  ready(status?: string): void {
    this.send(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${status}`);
  }

  stopping(): void {
    this.send('STOPPING=1');
  }

  status(text: string): void {
    this.send(`STATUS=${text}`);
  }

  /** Heartbeats at half the interval systemd asked for, skipped while unhealthy so systemd restarts a wedged service. */
  startWatchdog(isHealthy: () => boolean): void {
    const usec = Number(this.options.env.WATCHDOG_USEC);
    const pid = this.options.env.WATCHDOG_PID;
    if (!Number.isFinite(usec) || usec <= 0 || (pid !== undefined && pid !== '' && Number(pid) !== process.pid)) return;
    this.stopWatchdog();
    this.watchdog = setInterval(() => {
      if (isHealthy()) this.send('WATCHDOG=1');
      else this.options.log.warn('unhealthy: skipping the systemd watchdog heartbeat');
    }, Math.max(1, Math.floor(usec / 2000)));
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  close(): void {
    this.stopWatchdog();
    this.socket?.close();
    this.socket = undefined;
  }

  private send(message: string): void {
    if (this.socket === undefined || this.path === undefined) return;
    const buf = Buffer.from(message);
    try {
      this.socket.send(buf, 0, buf.length, this.path);
    } catch (err) {
      this.options.log.debug({ err }, 'sd_notify send failed');
    }
  }
}
