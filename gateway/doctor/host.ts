// What `vitrin doctor` asks of the machine. The composition root passes the real
// Linux answers (adapters/host, adapters/ble-noble); tests pass their own.

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report: `fail` blocks operation, `warn` does not. */
export interface DoctorCheck {
  readonly id: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about a warn or fail, as a store IT person would type it. */
  readonly fix?: string;
}

export interface RfkillSwitch {
  /** rfkillN */
  readonly name: string;
  readonly soft: boolean;
  readonly hard: boolean;
}

/** What the HCI socket module says: whether it loaded, whether the kernel gave a socket, which controllers it lists. */
export interface HciSocketProbe {
  /** Why the native module did not load; undefined when it did. */
  readonly loadError?: string;
  /** Why the kernel refused an AF_BLUETOOTH socket, e.g. `EAFNOSUPPORT`; undefined when it gave one. */
  readonly socketError?: string;
  readonly devices: readonly { readonly id: number; readonly up: boolean }[];
}

export interface ClockSync {
  /** undefined: nothing on this machine could tell. */
  readonly synchronised: boolean | undefined;
  /** Where the answer came from, e.g. `timedatectl`. */
  readonly source: string;
}

export interface DiskSpace {
  /** The folder measured: data.dir, or its nearest existing parent. */
  readonly path: string;
  readonly freeBytes: number;
  readonly totalBytes: number;
}

export interface DoctorHost {
  readonly node: { readonly version: string; readonly arch: string; readonly platform: string };
  /** Names under /sys/class/bluetooth (hci0, ...); undefined when that folder does not exist. */
  bluetoothAdapters(): readonly string[] | undefined;
  /** The Bluetooth radio switches under /sys/class/rfkill. */
  bluetoothRfkill(): readonly RfkillSwitch[];
  /** This process's uid and effective capabilities (CapEff of /proc/self/status); undefined when unreadable. */
  processCapabilities(): { readonly uid: number; readonly effective: bigint | undefined };
  hciSocket(): HciSocketProbe;
  /** True when the D-Bus system bus socket exists and bluetoothd runs. */
  bluez(): { readonly systemBus: boolean; readonly bluetoothd: boolean };
  clock(): Promise<ClockSync>;
  /** undefined when a TCP connection opened within the timeout, else why not (ECONNREFUSED, ETIMEDOUT, ENOTFOUND...). */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined>;
  /** undefined when this process could listen on host:port now, else why not (EADDRINUSE, EACCES...). */
  canListen(host: string, port: number): Promise<string | undefined>;
  /** Status and body of a GET; undefined when nothing answered within the timeout. */
  httpGet(url: string, timeoutMs: number): Promise<{ readonly status: number; readonly body: string } | undefined>;
  diskSpace(path: string): Promise<DiskSpace | undefined>;
  /** undefined when this process may read (or read and write) the path, else why not (ENOENT, EACCES). */
  fileAccess(path: string, mode: 'read' | 'read-write'): string | undefined;
  /** A text file's content; undefined when it cannot be read. */
  readText(path: string): string | undefined;
}
