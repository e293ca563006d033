// The GATT server of a phone the virtual controller can connect to: an attribute table
// built from a list of services, answering the ATT requests a client sends (Core spec
// v5.4, Vol 3, Part F, section 3.4): Exchange MTU, Read By Group Type for primary
// services, Read By Type for characteristic declarations, Read and Read Blob. A
// response lists consecutive attributes of one UUID size only and fits the MTU, as the
// spec asks; past the last attribute the answer is Error Response "Attribute Not Found".

export interface VirtualCharacteristic {
  /** 16-bit ("2a00") or 128-bit dashed UUID. */
  readonly uuid: string;
  readonly value: Uint8Array;
  /** Characteristic properties bit field; default 0x02 (read). */
  readonly properties?: number;
}

export interface VirtualService {
  readonly uuid: string;
  readonly characteristics: readonly VirtualCharacteristic[];
}

export interface VirtualDeviceSpec {
  /** As in the advertising reports: six colon-separated hex bytes. */
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly services: readonly VirtualService[];
  /** Answers LE Create Connection with "Connection Failed to be Established" (0x3E). */
  readonly refuseConnection?: boolean;
  /** Connects, but never answers a Read Request: the client must time out. */
  readonly ignoreReads?: boolean;
  /** The server's Rx MTU; default 185, what iPhones answer. */
  readonly mtu?: number;
}

const ATT = {
  error: 0x01,
  mtuRequest: 0x02,
  mtuResponse: 0x03,
  readByTypeRequest: 0x08,
  readByTypeResponse: 0x09,
  readRequest: 0x0a,
  readResponse: 0x0b,
  readBlobRequest: 0x0c,
  readBlobResponse: 0x0d,
  readByGroupTypeRequest: 0x10,
  readByGroupTypeResponse: 0x11,
} as const;
const ERR = { invalidHandle: 0x01, invalidOffset: 0x07, notFound: 0x0a, requestNotSupported: 0x06, unsupportedGroupType: 0x10 } as const;
const PRIMARY_SERVICE = 0x2800;
const CHARACTERISTIC = 0x2803;

interface CharacteristicEntry {
  readonly declaration: number;
  readonly valueHandle: number;
  readonly properties: number;
  readonly uuid: Buffer;
  readonly value: Buffer;
}

interface ServiceEntry {
  readonly start: number;
  readonly end: number;
  readonly uuid: Buffer;
  readonly characteristics: readonly CharacteristicEntry[];
}

/** A UUID as it goes on the air: little-endian, 2 or 16 bytes. */
export function uuidOnAir(uuid: string): Buffer {
  const hex = uuid.replaceAll('-', '');
  return Buffer.from(hex, 'hex').reverse();
}

export class AttServer {
  private readonly services: ServiceEntry[] = [];
  private mtu = 23;

  constructor(private readonly spec: VirtualDeviceSpec) {
    let handle = 1;
    for (const service of spec.services) {
      const start = handle++;
      const characteristics = service.characteristics.map((c) => {
        const declaration = handle++;
        const valueHandle = handle++;
        return { declaration, valueHandle, properties: c.properties ?? 0x02, uuid: uuidOnAir(c.uuid), value: Buffer.from(c.value) };
      });
      this.services.push({ start, end: handle - 1, uuid: uuidOnAir(service.uuid), characteristics });
    }
  }

  /** The response to one ATT PDU from the client, or undefined when the server stays silent. */
  respond(pdu: Buffer): Buffer | undefined {
    const opcode = pdu[0];
    switch (opcode) {
      case ATT.mtuRequest: {
        const serverMtu = this.spec.mtu ?? 185;
        this.mtu = Math.max(23, Math.min(pdu.readUInt16LE(1), serverMtu));
        return Buffer.from([ATT.mtuResponse, serverMtu & 0xff, serverMtu >> 8]);
      }
      case ATT.readByGroupTypeRequest:
        return this.readByGroupType(pdu);
      case ATT.readByTypeRequest:
        return this.readByType(pdu);
      case ATT.readRequest:
        return this.spec.ignoreReads === true ? undefined : this.read(pdu.readUInt16LE(1), 0, opcode);
      case ATT.readBlobRequest:
        return this.spec.ignoreReads === true ? undefined : this.read(pdu.readUInt16LE(1), pdu.readUInt16LE(3), opcode);
      case undefined:
        return undefined;
      default:
        // Commands (bit 6) and confirmations get no answer; other requests are not supported here.
        if ((opcode & 0x40) !== 0 || opcode === 0x1e || opcode % 2 === 1) return undefined;
        return error(opcode, 0x0000, ERR.requestNotSupported);
    }
  }

  private readByGroupType(pdu: Buffer): Buffer {
    const start = pdu.readUInt16LE(1);
    const end = pdu.readUInt16LE(3);
    if (pdu.length !== 7 || pdu.readUInt16LE(5) !== PRIMARY_SERVICE) return error(ATT.readByGroupTypeRequest, start, ERR.unsupportedGroupType);
    const found = this.services.filter((s) => s.start >= start && s.start <= end);
    return this.list(ATT.readByGroupTypeRequest, ATT.readByGroupTypeResponse, start, found, (s) => {
      const entry = Buffer.alloc(4 + s.uuid.length);
      entry.writeUInt16LE(s.start, 0);
      entry.writeUInt16LE(s.end, 2);
      s.uuid.copy(entry, 4);
      return entry;
    });
  }

  private readByType(pdu: Buffer): Buffer {
    const start = pdu.readUInt16LE(1);
    const end = pdu.readUInt16LE(3);
    // Only characteristic declarations are typed attributes here; includes and the rest are not found.
    if (pdu.length !== 7 || pdu.readUInt16LE(5) !== CHARACTERISTIC) return error(ATT.readByTypeRequest, start, ERR.notFound);
    const found = this.services.flatMap((s) => s.characteristics).filter((c) => c.declaration >= start && c.declaration <= end);
    return this.list(ATT.readByTypeRequest, ATT.readByTypeResponse, start, found, (c) => {
      const entry = Buffer.alloc(5 + c.uuid.length);
      entry.writeUInt16LE(c.declaration, 0);
      entry.writeUInt8(c.properties, 2);
      entry.writeUInt16LE(c.valueHandle, 3);
      c.uuid.copy(entry, 5);
      return entry;
    });
  }

  private list<T extends { uuid: Buffer }>(request: number, response: number, start: number, found: readonly T[], encode: (item: T) => Buffer): Buffer {
    const first = found[0];
    if (first === undefined) return error(request, start, ERR.notFound);
    const entries: Buffer[] = [];
    for (const item of found) {
      if (item.uuid.length !== first.uuid.length) break;
      const entry = encode(item);
      if (2 + (entries.length + 1) * entry.length > this.mtu) break;
      entries.push(entry);
    }
    return Buffer.concat([Buffer.from([response, entries[0]!.length]), ...entries]);
  }

  private read(handle: number, offset: number, request: number): Buffer {
    const characteristic = this.services.flatMap((s) => s.characteristics).find((c) => c.valueHandle === handle);
    if (characteristic === undefined) return error(request, handle, ERR.invalidHandle);
    if (offset > characteristic.value.length) return error(request, handle, ERR.invalidOffset);
    const opcode = request === ATT.readRequest ? ATT.readResponse : ATT.readBlobResponse;
    return Buffer.concat([Buffer.from([opcode]), characteristic.value.subarray(offset, offset + this.mtu - 1)]);
  }
}

function error(request: number, handle: number, code: number): Buffer {
  const out = Buffer.from([ATT.error, request, 0, 0, code]);
  out.writeUInt16LE(handle, 2);
  return out;
}
