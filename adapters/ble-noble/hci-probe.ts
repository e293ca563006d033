import { createRequire } from 'node:module';
import type { HciSocketProbe } from '../../gateway/doctor/host.js';

// The slice of @stoprocent/bluetooth-hci-socket (noble's hci binding) the doctor uses;
// its types stay here.
interface HciSocket {
  on(event: 'error', fn: (err: NodeJS.ErrnoException) => void): void;
  getDeviceList(): { devId: number; devUp: boolean }[];
}

const ERRNO_NAMES: Readonly<Record<number, string>> = { 1: 'EPERM', 13: 'EACCES', 93: 'EPROTONOSUPPORT', 97: 'EAFNOSUPPORT' };

/**
 * `vitrin doctor`: loads the HCI socket module as noble would, opens an AF_BLUETOOTH
 * socket and lists the controllers (HCIGETDEVLIST). Binds nothing, sends nothing, so
 * it cannot disturb a running gateway. Never throws.
 */
export function probeHciSocket(): HciSocketProbe {
  let Socket: new () => HciSocket;
  try {
    Socket = createRequire(import.meta.url)('@stoprocent/bluetooth-hci-socket') as new () => HciSocket;
  } catch (err) {
    return { loadError: err instanceof Error ? err.message.split('\n')[0] : String(err), devices: [] };
  }
  let socketError: string | undefined;
  try {
    const socket = new Socket();
    // The module reports a refused socket as an 'error' event, synchronously, and returns an empty list.
    socket.on('error', (err) => {
      const name = typeof err.errno === 'number' ? ERRNO_NAMES[err.errno] : undefined;
      socketError ??= name === undefined ? err.message : `${name}: ${err.message}`;
    });
    const devices = socket.getDeviceList().map((d) => ({ id: d.devId, up: d.devUp }));
    return socketError === undefined ? { devices } : { socketError, devices };
  } catch (err) {
    return { socketError: err instanceof Error ? err.message : String(err), devices: [] };
  }
}
