import type { Noble, Peripheral } from '@stoprocent/noble';
import { hasOverflowBit } from '../../gateway/ble/apple-overflow.js';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { Advertisement, AdvertisementSource, Clock, RadioControl, RadioState, Unsubscribe } from '../../gateway/ports.js';
import { advertisingData } from './advertising-data.js';
import { HeldPeripherals, type PeripheralLease } from './held-peripherals.js';
import { forgetPeripheral, nobleCacheSizes, type NobleCacheSizes } from './noble-cache.js';

export interface NobleSourceOptions {
  readonly binding: 'hci' | 'dbus';
  /** N of hciN. */
  readonly device: number;
  readonly receiverId: string;
  /** An HCI UART path instead of the kernel socket (hci binding). */
  readonly uart?: string;
  readonly startTimeoutMs: number;
  /**
   * identity.ios.overflowBit: connectable reports with this bit of Apple's overflow area
   * keep their noble Peripheral for HOLD_MS, so a GATT read can connect. -1 or absent: none.
   */
  readonly overflowBit?: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Long enough for the core to start a read after the report; the phone advertises again well within it. */
const HOLD_MS = 10_000;
/** Background iOS phones in reach of one adapter at once, with room to spare; beyond it the oldest hold goes. */
const HOLD_LIMIT = 256;

/**
 * One Bluetooth adapter through @stoprocent/noble, scanning with duplicates allowed
 * so every advertisement (and its RSSI) reaches the pipeline. noble keeps a record of
 * every address it has seen, forever; with phones rotating addresses every few
 * minutes that grows without bound, so each one is forgotten once reported.
 */
export class NobleSource implements AdvertisementSource, RadioControl {
  readonly kind = 'ble' as const;
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  private noble: Noble | undefined;
  private current: RadioState = 'starting';
  private held: HeldPeripherals | undefined;
  private scanning: Promise<void> | undefined;

  constructor(private readonly options: NobleSourceOptions) {}

  get receiverId(): string {
    return this.options.receiverId;
  }

  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  state(): RadioState {
    return this.current;
  }

  /** The held Peripheral of a device heard with our overflow bit, for one GATT read (gatt-reader.ts). */
  checkout(address: string): PeripheralLease | undefined {
    return this.held?.checkout(address, this.options.clock.now());
  }

  /**
   * noble's hci binding stops scanning to connect and does not start it again; the GATT
   * reader calls this once a connection attempt is over, and waits for it before the
   * next attempt (see gatt-reader.ts). Never rejects: a failure is logged, the watchdog
   * restarts a scan that stays silent.
   */
  async resumeScanning(): Promise<void> {
    if (this.current !== 'scanning') return;
    try {
      await withTimeout(this.scan(), 2000);
    } catch (err) {
      this.options.log.error({ err, receiver: this.options.receiverId }, 'cannot resume scanning after a GATT connection');
    }
  }

  /** What noble holds per address right now: stays near zero however many addresses pass. */
  cacheSizes(): NobleCacheSizes {
    return this.noble === undefined ? { peripherals: 0, discoveries: 0, bindings: 0 } : nobleCacheSizes(this.noble);
  }

  async start(): Promise<void> {
    // Every report, not only the first of a connectable device: presence needs the RSSI stream.
    process.env['NOBLE_REPORT_ALL_HCI_EVENTS'] = '1';
    await this.open();
  }

  async stop(): Promise<void> {
    this.current = 'stopped';
    await this.close();
  }

  async restartScan(): Promise<void> {
    const noble = this.noble;
    if (noble === undefined) return;
    await withTimeout(noble.stopScanningAsync(), 2000).catch(() => undefined);
    await this.scan();
  }

  /** The binding itself, closed and opened afresh: what a stuck controller or a lost socket needs. */
  async resetAdapter(): Promise<void> {
    await this.close();
    this.current = 'starting';
    await this.open();
  }

  private async open(): Promise<void> {
    const { withBindings } = await import('@stoprocent/noble');
    const { binding, device, uart } = this.options;
    const noble =
      binding === 'dbus'
        ? // noble 2.8's typings list no 'dbus' binding, though lib/resolve-bindings.js has it.
          (withBindings as (type: string, options: object) => Noble)('dbus', { adapterId: `hci${device}` })
        : withBindings('hci', {
            deviceId: device,
            ...(uart === undefined || uart === '' ? {} : { hciDriver: 'uart', bindParams: { uart: { port: uart, baudRate: 1_000_000 } } }),
          });
    this.noble = noble;
    this.held = new HeldPeripherals(HOLD_LIMIT, HOLD_MS, (peripheral) => forgetPeripheral(noble, peripheral));
    noble.on('stateChange', (state: string) => this.onStateChange(state));
    noble.on('discover', (peripheral: Peripheral) => this.onDiscover(peripheral));
    // noble prints its warnings to the console, with device ids (addresses) in them, e.g.
    // after a GATT link it no longer tracks; they go to the log at debug, ids masked.
    const emitter = noble as unknown as NodeJS.EventEmitter;
    emitter.removeAllListeners('warning');
    emitter.on('warning', (message: unknown) =>
      this.options.log.debug({ receiver: this.options.receiverId, warning: String(message).replace(/[0-9a-f]{12}|(?:[0-9a-f]{2}:){5}[0-9a-f]{2}/gi, '[device]') }, 'noble warning'),
    );
    try {
      await this.waitForPoweredOn(noble);
      await this.scan();
    } catch (err) {
      // A start that fails must not leave the socket open or noble's poll timer running.
      await this.close();
      throw err;
    }
  }

  private async close(): Promise<void> {
    const noble = this.noble;
    this.noble = undefined;
    this.held?.clear();
    this.held = undefined;
    if (noble === undefined) return;
    noble.removeAllListeners('discover');
    noble.removeAllListeners('stateChange');
    (noble as unknown as NodeJS.EventEmitter).removeAllListeners('warning');
    try {
      await withTimeout(noble.stopScanningAsync(), 2000);
    } catch {
      // The adapter may already be gone; closing must still finish.
    }
    noble.stop();
  }

  /** One start at a time: noble drops the callback of a start issued while another is pending. */
  private scan(): Promise<void> {
    this.scanning ??= this.startScanning().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async startScanning(): Promise<void> {
    const noble = this.noble;
    if (noble === undefined) return;
    await noble.startScanningAsync([], true);
    if (this.current === 'scanning') return;
    this.current = 'scanning';
    this.options.log.info({ receiver: this.options.receiverId, binding: this.options.binding, device: `hci${this.options.device}` }, 'scanning');
  }

  private onDiscover(peripheral: Peripheral): void {
    const noble = this.noble;
    if (noble === undefined) return;
    const ad: Advertisement = {
      receiverId: this.options.receiverId,
      address: peripheral.address.toLowerCase(),
      addressType: peripheral.addressType === 'public' || peripheral.addressType === 'random' ? peripheral.addressType : 'unknown',
      rssi: peripheral.rssi,
      data: advertisingData(peripheral.advertisement),
      receivedAt: this.options.clock.now(),
    };
    const held = this.held;
    held?.sweep(ad.receivedAt);
    if (held !== undefined && peripheral.connectable && hasOverflowBit(ad.data, this.options.overflowBit ?? -1)) held.hold(ad.address, peripheral, ad.receivedAt);
    else if (held?.has(ad.address) !== true) forgetPeripheral(noble, peripheral);
    for (const listener of this.listeners) listener(ad);
  }

  private onStateChange(state: string): void {
    const before = this.current;
    // While starting, noble passes through poweredOff and unknown; waitForPoweredOn judges the outcome.
    if (before === 'starting' || before === 'stopped') return;
    if (state === 'poweredOn') {
      if (before === 'scanning') return;
      this.options.log.warn({ receiver: this.options.receiverId }, 'adapter is back; scanning again');
      void this.scan().catch((err: unknown) => this.options.log.error({ err, receiver: this.options.receiverId }, 'cannot restart scanning'));
      return;
    }
    this.current = state === 'unauthorized' ? 'unauthorized' : 'down';
    this.options.log.error({ receiver: this.options.receiverId, state, code: codeFor(state) }, `Bluetooth adapter hci${this.options.device} is ${state}`);
  }

  private async waitForPoweredOn(noble: Noble): Promise<void> {
    const { startTimeoutMs, device, binding } = this.options;
    let last = 'unknown';
    const track = (state: string) => (last = state);
    noble.on('stateChange', track);
    try {
      await noble.waitForPoweredOnAsync(startTimeoutMs);
    } catch (cause) {
      throw new VitrinError(codeFor(last), explain(last, device, binding), { cause });
    } finally {
      noble.removeListener('stateChange', track);
    }
  }
}

function codeFor(state: string): 'VITRIN_ERR_BLE_PERMISSION' | 'VITRIN_ERR_BLE_ADAPTER' | 'VITRIN_ERR_BLE_BINDING' {
  if (state === 'unauthorized') return 'VITRIN_ERR_BLE_PERMISSION';
  if (state === 'unsupported') return 'VITRIN_ERR_BLE_BINDING';
  return 'VITRIN_ERR_BLE_ADAPTER';
}

function explain(state: string, device: number, binding: string): string {
  const name = `hci${device}`;
  if (state === 'unauthorized') {
    return `no permission to use ${name}: run under the systemd unit (AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN), or \`sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))\`, or set ble.binding: dbus`;
  }
  if (state === 'unsupported') {
    return binding === 'dbus'
      ? `BlueZ has no usable adapter ${name} on the system bus: is bluetoothd running (systemctl status bluetooth)?`
      : `${name} cannot be opened as an HCI socket or is not a Bluetooth LE controller: check \`ls /sys/class/bluetooth\`, ble.adapters[].device, or set ble.binding: dbus`;
  }
  return `${name} did not power on (state ${state}): check \`rfkill list\` (then \`rfkill unblock bluetooth\`) and \`bluetoothctl power on\``;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
