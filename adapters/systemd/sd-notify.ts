import { createRequire } from 'node:module';
import type { Logger } from '../../gateway/log.js';
import type { ServiceNotifier } from '../../gateway/ports.js';

// The slice of unix-dgram we use; its types stay here.
interface DgramSocket {
  on(event: 'error', fn: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error) => void): void;
  close(): void;
}

interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

export interface SdNotifierOptions {
  readonly log: Logger;
  /** Where NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read; tests pass their own. */
  readonly env?: NodeJS.ProcessEnv;
}

/** NOTIFY_SOCKET as a socket address: `@name` is the abstract socket `\0name`. */
export function notifySocketAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return value.startsWith('@') ? `\0${value.slice(1)}` : value;
}

/** Half of WATCHDOG_USEC in milliseconds when systemd asked this process for heartbeats, else undefined. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isInteger(usec) || usec <= 0) return undefined;
  // Set for the main process only; a child that inherited the environment must not feed the watchdog.
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2_000));
}

/**
 * sd_notify(3) over the datagram socket systemd names in NOTIFY_SOCKET (Node has no
 * unix datagram sockets of its own, hence unix-dgram). Outside systemd every call is
 * a no-op. Nothing here throws: a notification that cannot be sent must not stop
 * the gateway.
 */
export class SdNotifier implements ServiceNotifier {
  private readonly env: NodeJS.ProcessEnv;
  private readonly address: string | undefined;
  /** undefined: not opened yet; null: closed, or unix-dgram is unavailable. */
  private socket: DgramSocket | null | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private healthy = true;
  private warnedAbstract = false;

  constructor(private readonly options: SdNotifierOptions) {
    this.env = options.env ?? process.env;
    this.address = notifySocketAddress(this.env.NOTIFY_SOCKET);
  }

  ready(status?: string): void {
    this.send(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`);
  }

  stopping(): void {
    this.send('STOPPING=1');
  }

  status(text: string): void {
    this.send(`STATUS=${oneLine(text)}`);
  }

  /** Heartbeats at half the interval systemd asked for, skipped while unhealthy so systemd restarts a wedged service. */
  startWatchdog(isHealthy: () => boolean): void {
    const everyMs = this.address === undefined ? undefined : watchdogIntervalMs(this.env, process.pid);
    if (everyMs === undefined) return;
    this.stopWatchdog();
    this.watchdog = setInterval(() => this.beat(isHealthy), everyMs);
    // The heartbeat must never be what keeps a stopping process alive.
    this.watchdog.unref();
    this.options.log.debug({ everyMs }, 'systemd watchdog started');
  }

  stopWatchdog(): void {
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  close(): void {
    this.stopWatchdog();
    try {
      this.socket?.close();
    } catch (err) {
      this.options.log.debug({ err }, 'closing the sd_notify socket failed');
    }
    this.socket = null;
  }

  private beat(isHealthy: () => boolean): void {
    let healthy = false;
    try {
      healthy = isHealthy();
    } catch (err) {
      this.options.log.debug({ err }, 'health check threw; counted as unhealthy');
    }
    // Log transitions only: a wedged service would otherwise log at every beat until systemd restarts it.
    if (healthy !== this.healthy) {
      if (healthy) this.options.log.info('healthy again: systemd watchdog heartbeats resumed');
      else this.options.log.warn('unhealthy: skipping systemd watchdog heartbeats, systemd will restart the service if this lasts');
      this.healthy = healthy;
    }
    if (healthy) this.send('WATCHDOG=1');
  }

  private send(message: string): void {
    if (this.address === undefined) return;
    const socket = this.open();
    if (socket === null) return;
    const buf = Buffer.from(message);
    const onError = (err: unknown): void => this.sendFailed(err, message);
    try {
      socket.send(buf, 0, buf.length, this.address, (err) => {
        if (err !== undefined && err !== null) onError(err);
      });
    } catch (err) {
      onError(err);
    }
  }

  private sendFailed(err: unknown, message: string): void {
    if (this.address?.startsWith('\0') === true && !this.warnedAbstract) {
      // unix-dgram copies the path as a C string (it stops at the leading NUL) and
      // passes the full sockaddr_un length, so it cannot reach an abstract socket.
      this.warnedAbstract = true;
      this.options.log.warn({ err, socket: this.env.NOTIFY_SOCKET }, 'cannot notify systemd on an abstract NOTIFY_SOCKET; use a path socket (systemd >= 214 does) or Type=simple');
      return;
    }
    this.options.log.debug({ err, message: message.split('\n')[0] }, 'sd_notify send failed');
  }

  private open(): DgramSocket | null {
    if (this.socket !== undefined) return this.socket;
    try {
      const unix = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
      const socket = unix.createSocket('unix_dgram');
      // Without a listener an 'error' event would throw from inside the native callback.
      socket.on('error', (err) => this.options.log.debug({ err }, 'sd_notify socket error'));
      this.socket = socket;
    } catch (err) {
      this.options.log.warn({ err }, 'unix-dgram is not available; systemd notifications are off');
      this.socket = null;
    }
    return this.socket;
  }
}

/** A newline would start another assignment (STATUS=x\nREADY=1): keep a status on one line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
