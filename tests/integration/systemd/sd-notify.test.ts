import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SdNotifier } from '../../../adapters/systemd/sd-notify.js';

interface DgramServer {
  bind(path: string): void;
  close(): void;
}
const unix = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram', listener: (buf: Buffer) => void): DgramServer };

const log = pino({ level: 'silent' });

/** Plays systemd: a datagram socket that collects what the service notifies. */
function fakeSystemd() {
  const path = join(mkdtempSync(join(tmpdir(), 'vitrin-notify-')), 'notify.sock');
  const received: string[] = [];
  const server = unix.createSocket('unix_dgram', (buf) => received.push(buf.toString()));
  server.bind(path);
  return { path, received, close: () => server.close() };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SdNotifier', () => {
  let cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const fn of cleanup) fn();
    cleanup = [];
  });

  it('sends READY, STATUS, WATCHDOG while healthy, and STOPPING to NOTIFY_SOCKET', async () => {
    const systemd = fakeSystemd();
    const notifier = new SdNotifier({ env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '100000' }, log });
    cleanup.push(() => notifier.close(), systemd.close);
    notifier.ready('running');
    notifier.startWatchdog(() => true);
    await until(() => systemd.received.includes('WATCHDOG=1'), 'a watchdog heartbeat');
    notifier.stopping();
    await until(() => systemd.received.includes('STOPPING=1'), 'STOPPING');
    expect(systemd.received[0]).toBe('READY=1\nSTATUS=running');
  });

  it('skips heartbeats while unhealthy, so systemd restarts a wedged service', async () => {
    const systemd = fakeSystemd();
    const notifier = new SdNotifier({ env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '20000' }, log });
    cleanup.push(() => notifier.close(), systemd.close);
    notifier.startWatchdog(() => false);
    notifier.status('probe');
    await until(() => systemd.received.includes('STATUS=probe'), 'the status probe');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(systemd.received).not.toContain('WATCHDOG=1');
  });

  it('ignores a watchdog meant for another process', async () => {
    const systemd = fakeSystemd();
    const notifier = new SdNotifier({ env: { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '20000', WATCHDOG_PID: String(process.pid + 1) }, log });
    cleanup.push(() => notifier.close(), systemd.close);
    notifier.startWatchdog(() => true);
    notifier.status('probe');
    await until(() => systemd.received.includes('STATUS=probe'), 'the status probe');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(systemd.received).not.toContain('WATCHDOG=1');
  });

  it('does nothing outside systemd and never throws', () => {
    const notifier = new SdNotifier({ env: {}, log });
    expect(() => {
      notifier.ready();
      notifier.startWatchdog(() => true);
      notifier.stopping();
      notifier.close();
    }).not.toThrow();
  });
});
