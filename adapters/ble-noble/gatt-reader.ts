import type { Characteristic, Peripheral } from '@stoprocent/noble';
import { VitrinError } from '../../gateway/errors.js';
import type { Clock, GattReader, GattReadRequest, Unsubscribe } from '../../gateway/ports.js';
import type { PeripheralLease } from './held-peripherals.js';

// One GATT read through noble: connect to a device the adapter holds (held-peripherals.ts),
// find the one service and characteristic, read, and always hang up, also on timeout
// and failure. noble's ATT layer has no timeouts of its own (a phone that stops
// answering leaves the request pending forever), so the deadline is ours.
// Errors say what failed but never which device: messages are scrubbed of addresses.

/** What a NobleSource offers the reader; a narrow seam so tests and other adapters can stand in. */
export interface GattHost {
  readonly receiverId: string;
  checkout(address: string): PeripheralLease | undefined;
  /** Scanning again after a connection attempt; resolves once it runs (or has failed). */
  resumeScanning(): Promise<void>;
}

export interface NobleGattReaderOptions {
  /** The local adapters, by receiver id. */
  readonly hosts: readonly GattHost[];
  readonly clock: Clock;
}

/** How long to wait for the controller to confirm a disconnect before giving up on it. */
const HANG_UP_MS = 1000;

export class NobleGattReader implements GattReader {
  /** Per adapter, connection attempts one after another (see attempt()). */
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly options: NobleGattReaderOptions) {}

  async read(request: GattReadRequest): Promise<Uint8Array> {
    const host = this.options.hosts.find((h) => h.receiverId === request.receiverId);
    if (host === undefined) throw gattError('no local Bluetooth adapter has this receiver id');
    const lease = host.checkout(request.address);
    if (lease === undefined) throw gattError('the device is not held for a read: no recent connectable advert with the overflow bit, or a read of it is running');
    try {
      return await this.readHeld(host, lease.peripheral, request);
    } finally {
      lease.release();
    }
  }

  private async readHeld(host: GattHost, peripheral: Peripheral, request: GattReadRequest): Promise<Uint8Array> {
    const abort = { aborted: false };
    const attempt = this.attempt(host, peripheral, request, abort);
    // Once the deadline wins, the attempt still settles (noble rejects it on disconnect); nobody waits for it.
    attempt.catch(() => undefined);
    let cancelTimer: Unsubscribe = () => undefined;
    const deadline = new Promise<never>((_, reject) => {
      cancelTimer = this.options.clock.setTimeout(() => reject(gattError(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    });
    try {
      return await Promise.race([attempt, deadline]);
    } catch (err) {
      throw err instanceof VitrinError ? err : gattError(reasonOf(err));
    } finally {
      cancelTimer();
      abort.aborted = true;
      await this.hangUp(peripheral);
    }
  }

  private async attempt(host: GattHost, peripheral: Peripheral, request: GattReadRequest, abort: { aborted: boolean }): Promise<Uint8Array> {
    // One connection attempt per adapter at a time, each ending with scanning running
    // again, for two flaws of noble's hci binding: its cancel stops whatever the controller
    // is initiating, which may be another device's attempt; and it only stops scanning
    // before a connect if its scan start has completed, then resets the controller (which
    // ends scanning) and later believes it is still scanning: the adapter would go deaf.
    await this.lane(host.receiverId).run(async () => {
      if (abort.aborted) throw gattError('timed out waiting for the adapter');
      try {
        await peripheral.connectAsync();
      } finally {
        await host.resumeScanning();
      }
    });
    if (abort.aborted) throw gattError('timed out while connecting');
    const service = nobleUuid(request.service);
    const characteristic = nobleUuid(request.characteristic);
    const found = await peripheral.discoverSomeServicesAndCharacteristicsAsync([service], [characteristic]);
    const target = found.characteristics.find((c: Characteristic) => c.uuid === characteristic);
    if (target === undefined) throw gattError('the service has no such characteristic');
    if (abort.aborted) throw gattError('timed out during discovery');
    return target.readAsync();
  }

  private async hangUp(peripheral: Peripheral): Promise<void> {
    if (peripheral.state === 'connecting') {
      // Emits the connect error that releases the lane, and sends LE Create Connection Cancel.
      peripheral.cancelConnect();
      return;
    }
    if (peripheral.state !== 'connected' && peripheral.state !== 'disconnecting') return;
    let onDisconnect: () => void = () => undefined;
    const down = new Promise<void>((resolve) => {
      onDisconnect = resolve;
      peripheral.once('disconnect', onDisconnect);
    });
    if (peripheral.state === 'connected') {
      try {
        peripheral.disconnect();
      } catch {
        // The binding has lost the link already; the wait below ends it either way.
      }
    }
    let cancelWait: Unsubscribe = () => undefined;
    await Promise.race([down, new Promise<void>((resolve) => (cancelWait = this.options.clock.setTimeout(resolve, HANG_UP_MS)))]);
    cancelWait();
    peripheral.removeListener('disconnect', onDisconnect);
  }

  private lane(receiverId: string): Lane {
    let lane = this.lanes.get(receiverId);
    if (lane === undefined) {
      lane = new Lane();
      this.lanes.set(receiverId, lane);
    }
    return lane;
  }
}

/** Runs tasks one after another; a failed task does not stop the next. */
class Lane {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** noble names 128-bit UUIDs as 32 lower-case hex digits without dashes. */
function nobleUuid(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase();
}

const ADDRESS = /\b[0-9a-f]{2}(?:[:-]?[0-9a-f]{2}){5}\b/gi;

/** noble rejects with Errors and, for missing services, with a bare string. */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown failure';
  return text.replace(ADDRESS, '[device]');
}

function gattError(reason: string): VitrinError {
  return new VitrinError('VITRIN_ERR_GATT_READ', `GATT read failed: ${reason}`);
}
