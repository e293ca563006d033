import { closeSync, constants, openSync, write } from 'node:fs';
import { ReadStream } from 'node:tty';

// A Bluetooth LE controller on the far end of a pseudo-terminal, speaking H4 as a
// UART controller does: it answers the host's commands with Command Complete events
// carrying plausible return parameters (Core spec v5.4, Vol 4, Part E, 7.4 and 7.8),
// and once scanning is enabled it sends the advertising report events it was given.

const EVENT = 0x04;
const COMMAND = 0x01;
const COMMAND_COMPLETE = 0x0e;

const OP = {
  reset: 0x0c03,
  readLocalVersion: 0x1001,
  readSupportedCommands: 0x1002,
  readBufferSize: 0x1005,
  readBdAddr: 0x1009,
  readLeHostSupported: 0x0c6c,
  leReadBufferSize: 0x2002,
  leReadLocalFeatures: 0x2003,
  leSetScanEnable: 0x200c,
  leReadMaxDataLength: 0x202f,
  leSetExtendedScanEnable: 0x2042,
} as const;

/** Return parameters after the status byte, per command. */
const RETURNS: Record<number, number[]> = {
  // HCI 5.0 (0x09), revision 0, LMP 5.0, manufacturer 0x05F1 (The Linux Foundation), subversion 0.
  [OP.readLocalVersion]: [0x09, 0x00, 0x00, 0x09, 0xf1, 0x05, 0x00, 0x00],
  [OP.readSupportedCommands]: new Array<number>(64).fill(0),
  [OP.readBufferSize]: [0xfd, 0x03, 0x40, 0x08, 0x00, 0x00, 0x00],
  [OP.readBdAddr]: [0x66, 0x55, 0x44, 0x33, 0x22, 0x11],
  [OP.readLeHostSupported]: [0x01, 0x00],
  [OP.leReadBufferSize]: [0xfb, 0x00, 0x08],
  // No LE features: a 4.x-style controller, so the host scans with legacy commands.
  [OP.leReadLocalFeatures]: [0, 0, 0, 0, 0, 0, 0, 0],
  [OP.leReadMaxDataLength]: [0xfb, 0x00, 0x48, 0x08, 0xfb, 0x00, 0x48, 0x08],
};

export class VirtualHciController {
  readonly commands: number[] = [];
  private reader: ReadStream | undefined;
  /** Writes go through the thread pool: a blocking TTY write on the main thread would deadlock against noble reading in this same process. */
  private writing: Promise<void> = Promise.resolve();
  private fd: number | undefined;
  private pending = Buffer.alloc(0);
  private scanning = false;
  private scanWaiters: (() => void)[] = [];

  constructor(
    private readonly path: string,
    private readonly reports: readonly Uint8Array[],
  ) {}

  start(): void {
    this.fd = openSync(this.path, constants.O_RDWR | constants.O_NOCTTY);
    this.reader = new ReadStream(this.fd);
    this.reader.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Resolves when the host has enabled scanning. */
  scanEnabled(): Promise<void> {
    return this.scanning ? Promise.resolve() : new Promise((resolve) => this.scanWaiters.push(resolve));
  }

  /** Sends the given events now, as a controller would while scanning. */
  send(events: readonly Uint8Array[]): void {
    for (const event of events) this.write(event);
  }

  stop(): void {
    this.reader?.destroy();
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed by the streams
      }
    }
  }

  private write(bytes: Uint8Array): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.writing = this.writing.then(
      () => new Promise<void>((resolve) => write(fd, bytes, () => resolve())),
    );
  }

  private onData(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.pending.length < 4) return;
      if (this.pending[0] !== COMMAND) {
        this.pending = this.pending.subarray(1); // not a command: resynchronise
        continue;
      }
      const length = this.pending[3]!;
      if (this.pending.length < 4 + length) return;
      const opcode = this.pending.readUInt16LE(1);
      const params = this.pending.subarray(4, 4 + length);
      this.pending = this.pending.subarray(4 + length);
      this.onCommand(opcode, params);
    }
  }

  private onCommand(opcode: number, params: Buffer): void {
    this.commands.push(opcode);
    const returns = RETURNS[opcode] ?? [];
    const body = [0x01, opcode & 0xff, opcode >> 8, 0x00, ...returns];
    this.write(Uint8Array.from([EVENT, COMMAND_COMPLETE, body.length, ...body]));
    const enable = (opcode === OP.leSetScanEnable || opcode === OP.leSetExtendedScanEnable) && params[0] === 0x01;
    if (enable && !this.scanning) {
      this.scanning = true;
      for (const resolve of this.scanWaiters.splice(0)) resolve();
      this.send(this.reports);
    } else if ((opcode === OP.leSetScanEnable || opcode === OP.leSetExtendedScanEnable) && params[0] === 0x00) {
      this.scanning = false;
    }
  }
}
