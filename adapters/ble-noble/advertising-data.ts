// noble hands over advertisements already parsed (the hci binding parses the report;
// the dbus binding gets BlueZ's properties). The pipeline decodes raw AD structures,
// so the parts that carry beacon frames are written back as AD structures. Names are
// left out on purpose: a phone's name is personal data and no decoder reads it.

/** The fields of noble's `peripheral.advertisement` that carry frames. */
export interface NobleAdvertisementLike {
  readonly manufacturerData?: Buffer | undefined;
  readonly serviceData?: readonly { readonly uuid: string; readonly data: Buffer }[];
  readonly serviceUuids?: readonly string[];
  readonly txPowerLevel?: number | undefined;
}

const MAX_AD_LENGTH = 255;

function structure(type: number, body: Uint8Array): number[] {
  const length = Math.min(body.length + 1, MAX_AD_LENGTH);
  return [length, type, ...body.subarray(0, length - 1)];
}

/** noble writes UUIDs big-endian without dashes; AD structures carry them little-endian. */
function uuidBytes(uuid: string): Uint8Array | undefined {
  let hex = uuid.replaceAll('-', '');
  // noble prints 16- and 32-bit service UUIDs with Number#toString(16): leading zeros dropped.
  if (hex.length < 4) hex = hex.padStart(4, '0');
  else if (hex.length > 4 && hex.length < 8) hex = hex.padStart(8, '0');
  if (!/^[0-9a-f]+$/i.test(hex) || ![4, 8, 32].includes(hex.length)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex')).reverse();
}

const SERVICE_DATA_TYPE: Record<number, number> = { 2: 0x16, 4: 0x20, 16: 0x21 };
const UUID_LIST_TYPE: Record<number, number> = { 2: 0x03, 4: 0x05, 16: 0x07 };

export function advertisingData(ad: NobleAdvertisementLike): Uint8Array {
  const out: number[] = [];
  if (ad.manufacturerData !== undefined && ad.manufacturerData.length > 0) out.push(...structure(0xff, ad.manufacturerData));
  for (const { uuid, data } of ad.serviceData ?? []) {
    const id = uuidBytes(uuid);
    if (id !== undefined) out.push(...structure(SERVICE_DATA_TYPE[id.length]!, Uint8Array.from([...id, ...data])));
  }
  for (const uuid of ad.serviceUuids ?? []) {
    const id = uuidBytes(uuid);
    if (id !== undefined) out.push(...structure(UUID_LIST_TYPE[id.length]!, id));
  }
  if (typeof ad.txPowerLevel === 'number' && Number.isInteger(ad.txPowerLevel)) out.push(2, 0x0a, ad.txPowerLevel & 0xff);
  return Uint8Array.from(out);
}
