import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { ClockSync, DiskSpace, DoctorHost, RfkillSwitch } from '../../gateway/doctor/host.js';

// What a Linux box says about itself, for `vitrin doctor`: /sys, /proc, timedatectl,
// sockets and statfs. Every probe answers; none throws.

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

function readTrimmed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] | undefined {
  try {
    return readdirSync(dir).sort();
  } catch {
    return undefined;
  }
}

function bluetoothRfkill(): RfkillSwitch[] {
  const root = '/sys/class/rfkill';
  return (list(root) ?? [])
    .filter((name) => readTrimmed(join(root, name, 'type')) === 'bluetooth')
    .map((name) => ({ name, soft: readTrimmed(join(root, name, 'soft')) === '1', hard: readTrimmed(join(root, name, 'hard')) === '1' }));
}

function processCapabilities(): { uid: number; effective: bigint | undefined } {
  const uid = process.getuid?.() ?? -1;
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readTrimmed('/proc/self/status') ?? '')?.[1];
  return { uid, effective: hex === undefined ? undefined : BigInt(`0x${hex}`) };
}

function bluetoothdRunning(): boolean {
  return (list('/proc') ?? []).some((pid) => /^\d+$/.test(pid) && readTrimmed(join('/proc', pid, 'comm')) === 'bluetoothd');
}

/** timedatectl (systemd-timesyncd, chrony and ntpd all set the kernel's flag it reads), else timesyncd's own marker file. */
function clock(): Promise<ClockSync> {
  return new Promise((resolve) => {
    execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3_000 }, (err, stdout) => {
      const answer = stdout.trim();
      if (err === null && (answer === 'yes' || answer === 'no')) {
        resolve({ synchronised: answer === 'yes', source: 'timedatectl' });
        return;
      }
      if (existsSync('/run/systemd/timesync/synchronized')) resolve({ synchronised: true, source: '/run/systemd/timesync/synchronized' });
      else if (existsSync('/run/systemd/timesync')) resolve({ synchronised: false, source: 'systemd-timesyncd has not synchronised yet' });
      else resolve({ synchronised: undefined, source: 'unknown' });
    });
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done('ETIMEDOUT'));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(errorCode(err)));
  });
}

function canListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err) => resolve(errorCode(err)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

async function httpGet(url: string, timeoutMs: number): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

async function diskSpace(path: string): Promise<DiskSpace | undefined> {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const stats = await statfs(dir);
    return { path: dir, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch {
    return undefined;
  }
}

function fileAccess(path: string, mode: 'read' | 'read-write'): string | undefined {
  try {
    accessSync(path, mode === 'read' ? constants.R_OK : constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    return errorCode(err);
  }
}

/** The doctor's view of this machine, but for the HCI socket, which the BLE adapter probes. */
export function linuxHost(): Omit<DoctorHost, 'hciSocket'> {
  return {
    node: { version: process.versions.node, arch: process.arch, platform: process.platform },
    bluetoothAdapters: () => list('/sys/class/bluetooth')?.filter((name) => /^hci\d+$/.test(name)),
    bluetoothRfkill,
    processCapabilities,
    bluez: () => ({ systemBus: existsSync('/run/dbus/system_bus_socket'), bluetoothd: bluetoothdRunning() }),
    clock,
    tcpConnect,
    canListen,
    httpGet,
    diskSpace,
    fileAccess,
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
