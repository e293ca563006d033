import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { notifySocketAddress, SdNotifier, watchdogIntervalMs } from '../../../adapters/systemd/sd-notify.js';

interface DgramServer {
  bind(path: string): void;
  close(): void;
}
const unix = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram', listener: (buf: Buffer) => void): DgramServer };

interface LogLine {
  level: number;
  msg: string;
}

function logger() {
  const lines: LogLine[] = [];
  return { lines, log: pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) }) };
}

/** Plays systemd: a datagram socket in a temp folder that collects what the service notifies. */
function fakeSystemd() {
  const path = join(mkdtempSync(join(tmpdir(), 'vitrin-notify-')), 'notify.sock');
  const received: string[] = [];
  const server = unix.createSocket('unix_dgram', (buf) => received.push(buf.toString()));
  server.bind(path);
  return { path, received, close: () => server.close() };
}

/** Waits for something that arrives on real timers; generous, as this is not a timing test. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SdNotifier against a real datagram socket', () => {
  let cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const fn of cleanup.reverse()) fn();
    cleanup = [];
  });

  function notifierFor(env: NodeJS.ProcessEnv) {
    const { log, lines } = logger();
    const notifier = new SdNotifier({ env, log });
    cleanup.push(() => notifier.close());
    return { notifier, lines };
  }

  it('sends READY with its status, STATUS, WATCHDOG while healthy, and STOPPING', async () => {
    const systemd = fakeSystemd();
    cleanup.push(systemd.close);
    const { notifier } = notifierFor({ NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '200000' });
    notifier.ready('running');
    notifier.status('3 members present\nREADY=1');
    notifier.startWatchdog(() => true);
    await until(() => systemd.received.includes('WATCHDOG=1'), 'a watchdog heartbeat');
    notifier.stopWatchdog();
    notifier.stopping();
    await until(() => systemd.received.includes('STOPPING=1'), 'STOPPING=1');
    expect(systemd.received[0]).toBe('READY=1\nSTATUS=running');
    // A newline in a status must not smuggle in another assignment.
    expect(systemd.received[1]).toBe('STATUS=3 members present READY=1');
  });

  it('skips heartbeats while unhealthy and resumes when healthy again', async () => {
    const systemd = fakeSystemd();
    cleanup.push(systemd.close);
    const { notifier, lines } = notifierFor({ NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '20000' });
    let healthy = false;
    notifier.startWatchdog(() => healthy);
    await pause(150);
    notifier.status('probe');
    await until(() => systemd.received.includes('STATUS=probe'), 'the status probe');
    expect(systemd.received).not.toContain('WATCHDOG=1');
    expect(lines.filter((l) => l.msg.startsWith('unhealthy'))).toHaveLength(1);
    healthy = true;
    await until(() => systemd.received.includes('WATCHDOG=1'), 'a heartbeat after recovery');
  });

  it('counts a health check that throws as unhealthy', async () => {
    const systemd = fakeSystemd();
    cleanup.push(systemd.close);
    const { notifier } = notifierFor({ NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '20000' });
    notifier.startWatchdog(() => {
      throw new Error('wedged');
    });
    await pause(150);
    notifier.status('probe');
    await until(() => systemd.received.includes('STATUS=probe'), 'the status probe');
    expect(systemd.received).not.toContain('WATCHDOG=1');
  });

  it('leaves a watchdog meant for another process alone', async () => {
    const systemd = fakeSystemd();
    cleanup.push(systemd.close);
    const { notifier } = notifierFor({ NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '20000', WATCHDOG_PID: String(process.pid + 1) });
    notifier.startWatchdog(() => true);
    await pause(150);
    notifier.status('probe');
    await until(() => systemd.received.includes('STATUS=probe'), 'the status probe');
    expect(systemd.received).not.toContain('WATCHDOG=1');
  });

  it('does nothing outside systemd and never throws', () => {
    const { notifier, lines } = notifierFor({ WATCHDOG_USEC: '20000' });
    expect(() => {
      notifier.ready('running');
      notifier.status('x');
      notifier.startWatchdog(() => true);
      notifier.stopping();
      notifier.stopWatchdog();
      notifier.close();
      notifier.close();
    }).not.toThrow();
    expect(lines).toEqual([]);
  });

  it('does not throw when systemd has gone away, or after close', () => {
    const systemd = fakeSystemd();
    systemd.close();
    const { notifier } = notifierFor({ NOTIFY_SOCKET: join(tmpdir(), 'vitrin-no-such-dir', 'notify.sock') });
    expect(() => {
      notifier.ready();
      notifier.close();
      notifier.stopping();
    }).not.toThrow();
  });

  it('addresses @name as the abstract socket \\0name, and says once when it cannot reach it', () => {
    expect(notifySocketAddress('@/org/freedesktop/systemd1/notify')).toBe('\0/org/freedesktop/systemd1/notify');
    expect(notifySocketAddress('/run/systemd/notify')).toBe('/run/systemd/notify');
    expect(notifySocketAddress('')).toBeUndefined();
    // unix-dgram 2.0.7 cannot address abstract sockets (see sd-notify.ts); the notifier must say so, not throw.
    const { notifier, lines } = notifierFor({ NOTIFY_SOCKET: `@vitrin-test-${process.pid}` });
    expect(() => {
      notifier.ready();
      notifier.status('x');
    }).not.toThrow();
    expect(lines.filter((l) => l.level === 40 && l.msg.includes('abstract'))).toHaveLength(1);
  });

  it('beats at half of WATCHDOG_USEC, for this process only', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
  });
});
