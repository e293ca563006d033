import { closeSync, constants, openSync, write } from 'node:fs';
import { ReadStream } from 'node:tty';
import { AttServer, type VirtualDeviceSpec } from './virtual-gatt-device.js';

// A Bluetooth LE controller on the far end of a pseudo-terminal, speaking H4 as a
// UART controller does: it answers the host's commands with Command Complete events
// carrying plausible return parameters (Core spec v5.4, Vol 4, Part E, 7.4 and 7.8),
// and once scanning is enabled it sends the advertising report events it was given.
// Devices added with addDevice can be connected to: LE Create Connection, Cancel and
// Disconnect get a Command Status and their completion events (7.7.65.1, 7.7.5), and
// ACL data on the ATT channel goes to the device's GATT server (virtual-gatt-device.ts).

const EVENT = 0x04;
const COMMAND = 0x01;
const ACL = 0x02;
const COMMAND_COMPLETE = 0x0e;
const COMMAND_STATUS = 0x0f;
const DISCONNECTION_COMPLETE = 0x05;
const NUMBER_OF_COMPLETED_PACKETS = 0x13;
const LE_META = 0x3e;
const LE_CONNECTION_COMPLETE = 0x01;
const ATT_CID = 0x0004;

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
  leCreateConnection: 0x200d,
  leCreateConnectionCancel: 0x200e,
  disconnect: 0x0406,
} as const;

/** Commands a controller acknowledges with Command Status, their outcome following in its own event. */
const STATUS_COMMANDS = new Set<number>([OP.leCreateConnection, OP.disconnect, 0x2013, 0x2016, 0x2019]);

interface Link {
  readonly handle: number;
  readonly device: VirtualDeviceSpec;
  readonly server: AttServer;
}

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
  /** Addresses the host asked to connect to, in order. */
  readonly connectAttempts: string[] = [];
  /** Addresses whose link the host closed with HCI_Disconnect. */
  readonly hostDisconnects: string[] = [];
  /** Every LE Set Scan Enable, with how many connection attempts had been made by then. */
  readonly scanEnables: { readonly enable: boolean; readonly afterConnectAttempts: number }[] = [];
  /** Whether the radio scans now: enabled by the host and not disabled or reset since, as a real controller does. */
  scanActive = false;
  private readonly devices = new Map<string, VirtualDeviceSpec>();
  private readonly links = new Map<number, Link>();
  private nextHandle = 0x0040;
  /** The connection being initiated and not yet complete (a device out of range never completes). */
  private initiating: { address: string; addressType: number } | undefined;
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

  /**
   * Sends the given events, as a controller would while scanning: at a radio's pace, a
   * millisecond's pause every 32 reports. Unpaced, thousands of reports overflow the
   * pseudo-terminal's 4 KiB input queue when the test machine is busy, and the tty
   * drops bytes that a real UART link with flow control would have held back.
   */
  send(events: readonly Uint8Array[]): void {
    events.forEach((event, i) => {
      this.write(event);
      if (i % 32 === 31) this.writing = this.writing.then(() => new Promise<void>((resolve) => setTimeout(resolve, 1)));
    });
  }

  /** A phone in range that accepts connections. */
  addDevice(device: VirtualDeviceSpec): void {
    this.devices.set(device.address.toLowerCase(), device);
  }

  /** Addresses with an open link. */
  openLinks(): string[] {
    return [...this.links.values()].map((link) => link.device.address);
  }

  /** The phone ends the link (reason 0x13, remote user terminated), as when it walks away mid-read. */
  dropLink(address: string): void {
    for (const link of this.links.values()) if (link.device.address === address) this.closeLink(link.handle, 0x13);
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
      if (this.pending[0] === ACL) {
        if (this.pending.length < 5) return;
        const length = this.pending.readUInt16LE(3);
        if (this.pending.length < 5 + length) return;
        const packet = this.pending.subarray(0, 5 + length);
        this.pending = this.pending.subarray(5 + length);
        this.onAcl(packet);
        continue;
      }
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
    if (opcode === OP.leCreateConnection) return this.createConnection(params);
    if (opcode === OP.leCreateConnectionCancel) return this.cancelConnection();
    if (opcode === OP.disconnect) return this.disconnect(params);
    if (STATUS_COMMANDS.has(opcode)) return this.commandStatus(opcode, 0x00);
    if (opcode === OP.reset) {
      this.links.clear();
      this.initiating = undefined;
      this.scanActive = false;
    }
    const returns = RETURNS[opcode] ?? [];
    this.commandComplete(opcode, 0x00, returns);
    if (opcode === OP.leSetScanEnable || opcode === OP.leSetExtendedScanEnable) {
      this.scanEnables.push({ enable: params[0] === 0x01, afterConnectAttempts: this.connectAttempts.length });
      this.scanActive = params[0] === 0x01;
    }
    const enable = (opcode === OP.leSetScanEnable || opcode === OP.leSetExtendedScanEnable) && params[0] === 0x01;
    if (enable && !this.scanning) {
      this.scanning = true;
      for (const resolve of this.scanWaiters.splice(0)) resolve();
      this.send(this.reports);
    } else if ((opcode === OP.leSetScanEnable || opcode === OP.leSetExtendedScanEnable) && params[0] === 0x00) {
      this.scanning = false;
    }
  }

  private commandComplete(opcode: number, status: number, returns: readonly number[] = []): void {
    const body = [0x01, opcode & 0xff, opcode >> 8, status, ...returns];
    this.write(Uint8Array.from([EVENT, COMMAND_COMPLETE, body.length, ...body]));
  }

  private commandStatus(opcode: number, status: number): void {
    this.write(Uint8Array.from([EVENT, COMMAND_STATUS, 4, status, 0x01, opcode & 0xff, opcode >> 8]));
  }

  /** HCI_LE_Create_Connection parameters: scan interval, window, filter policy, peer address type, peer address, ... */
  private createConnection(params: Buffer): void {
    const addressType = params[5] ?? 0;
    const address = addressOf(params.subarray(6, 12));
    this.connectAttempts.push(address);
    if (this.initiating !== undefined) return this.commandStatus(OP.leCreateConnection, 0x0c); // Command Disallowed
    this.commandStatus(OP.leCreateConnection, 0x00);
    this.initiating = { address, addressType };
    const device = this.devices.get(address);
    if (device === undefined) return; // out of range: initiating goes on until cancelled
    this.initiating = undefined;
    if (device.refuseConnection === true) return this.connectionComplete(0x3e, 0, address, addressType);
    const handle = this.nextHandle++;
    this.links.set(handle, { handle, device, server: new AttServer(device) });
    this.connectionComplete(0x00, handle, address, addressType);
  }

  private cancelConnection(): void {
    const initiating = this.initiating;
    if (initiating === undefined) return this.commandComplete(OP.leCreateConnectionCancel, 0x0c);
    this.initiating = undefined;
    this.commandComplete(OP.leCreateConnectionCancel, 0x00);
    // 7.8.13: a cancelled attempt ends in LE Connection Complete with Unknown Connection Identifier.
    this.connectionComplete(0x02, 0, initiating.address, initiating.addressType);
  }

  private connectionComplete(status: number, handle: number, address: string, addressType: number): void {
    const event = Buffer.alloc(3 + 19);
    event.set([EVENT, LE_META, 19, LE_CONNECTION_COMPLETE, status]);
    event.writeUInt16LE(handle, 5);
    event[7] = 0x00; // role: central
    event[8] = addressType;
    Buffer.from(address.split(':').reverse().join(''), 'hex').copy(event, 9);
    event.writeUInt16LE(0x0018, 15); // connection interval 30 ms
    event.writeUInt16LE(0x0000, 17); // peripheral latency
    event.writeUInt16LE(0x0048, 19); // supervision timeout 720 ms
    event[21] = 0x00;
    this.write(event);
  }

  private disconnect(params: Buffer): void {
    const handle = params.readUInt16LE(0) & 0x0fff;
    const link = this.links.get(handle);
    if (link === undefined) return this.commandStatus(OP.disconnect, 0x02);
    this.commandStatus(OP.disconnect, 0x00);
    this.hostDisconnects.push(link.device.address);
    this.closeLink(handle, 0x16); // connection terminated by local host
  }

  private closeLink(handle: number, reason: number): void {
    if (!this.links.delete(handle)) return;
    this.write(Uint8Array.from([EVENT, DISCONNECTION_COMPLETE, 4, 0x00, handle & 0xff, handle >> 8, reason]));
  }

  /** One ACL packet from the host; the ATT PDUs here are far below the 251-byte buffer, so never fragmented. */
  private onAcl(packet: Buffer): void {
    const handle = packet.readUInt16LE(1) & 0x0fff;
    // Every packet the host sends frees one of its controller buffers: without this noble stops sending after 8.
    this.write(Uint8Array.from([EVENT, NUMBER_OF_COMPLETED_PACKETS, 5, 1, handle & 0xff, handle >> 8, 1, 0]));
    const link = this.links.get(handle);
    if (link === undefined || packet.length < 9 || packet.readUInt16LE(7) !== ATT_CID) return;
    const response = link.server.respond(packet.subarray(9, 9 + packet.readUInt16LE(5)));
    if (response === undefined) return;
    const out = Buffer.alloc(9 + response.length);
    out[0] = ACL;
    out.writeUInt16LE(handle | (0x2 << 12), 1); // first automatically flushable packet
    out.writeUInt16LE(4 + response.length, 3);
    out.writeUInt16LE(response.length, 5);
    out.writeUInt16LE(ATT_CID, 7);
    response.copy(out, 9);
    this.write(out);
  }
}

function addressOf(littleEndian: Buffer): string {
  return [...littleEndian].reverse().map((b) => b.toString(16).padStart(2, '0')).join(':');
}
