import type { Trace } from './crowd-strangers.js';

// Looking for personal data everywhere it could end up: each value in every way a
// program might write it (raw bytes either way round, hex with or without
// separators, base64, a JSON array of bytes, a dashed UUID), compared without regard
// to ASCII case, so "AA:BB" and "aa:bb" are one needle.

export interface Needle {
  /** Whose value it is: a stranger's label, or a member's id. */
  readonly owner: string;
  readonly what: string;
  readonly spelling: string;
  readonly bytes: Buffer;
}

export interface Haystack {
  readonly name: string;
  readonly bytes: Buffer;
  /** Where an offset is, for the report (a log line, an MQTT message). */
  readonly locate?: (offset: number) => string;
}

export interface Hit {
  readonly needle: Needle;
  readonly haystack: string;
  readonly where: string;
  readonly context: string;
}

/** ASCII upper case to lower case, every other byte as it is. */
function fold(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i]! += 0x20;
  return out;
}

const dashed = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

function byteSpellings(bytes: Buffer, uuid: boolean): [string, Buffer | string][] {
  const reversed = Buffer.from(bytes).reverse();
  const spellings: [string, Buffer | string][] = [];
  for (const [order, b] of [['', bytes], [' reversed', reversed]] as const) {
    const hex = b.toString('hex');
    const pairs = hex.match(/../g) ?? [];
    spellings.push(
      [`raw bytes${order}`, b],
      [`hex${order}`, hex],
      [`hex with colons${order}`, pairs.join(':')],
      [`hex with dashes${order}`, pairs.join('-')],
      [`hex with spaces${order}`, pairs.join(' ')],
      [`hex with 0x${order}`, pairs.map((p) => `0x${p}`).join(', ')],
      [`byte list${order}`, [...b].join(',')],
      [`Uint8Array as JSON${order}`, [...b].map((v, i) => `"${i}":${v}`).join(',')],
    );
    // Whole 3-byte groups only: their base64 does not depend on what follows.
    const whole = b.subarray(0, b.length - (b.length % 3));
    if (whole.length >= 6) spellings.push([`base64${order}`, whole.toString('base64')], [`base64url${order}`, whole.toString('base64url')]);
    if (uuid && b.length === 16) spellings.push([`dashed UUID${order}`, dashed(hex)]);
  }
  return spellings;
}

function textSpellings(text: string): [string, Buffer | string][] {
  const escaped = text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const spellings: [string, Buffer | string][] = [
    ['text', text],
    ['text as UTF-8 hex', Buffer.from(text, 'utf8').toString('hex')],
    ['text, URL-encoded', encodeURIComponent(text)],
  ];
  if (escaped !== text) spellings.push(['text, JSON-escaped', escaped]);
  return spellings;
}

/** A device address ("aa:bb:cc:dd:ee:ff") in every spelling, including the little-endian bytes HCI carries. */
export function addressNeedles(owner: string, address: string): Needle[] {
  const bytes = Buffer.from(address.replaceAll(':', ''), 'hex');
  const spellings = byteSpellings(bytes, false);
  spellings.push(['as a 48-bit integer', BigInt(`0x${bytes.toString('hex')}`).toString()], ['as a 48-bit integer, reversed', BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`).toString()]);
  return spellings.map(([spelling, value]) => needle(owner, 'address', spelling, value));
}

export function traceNeedles(owner: string, trace: Trace): Needle[] {
  const spellings = typeof trace.value === 'string' ? textSpellings(trace.value) : byteSpellings(Buffer.from(trace.value), trace.uuid === true);
  return spellings.map(([spelling, value]) => needle(owner, trace.what, spelling, value));
}

function needle(owner: string, what: string, spelling: string, value: Buffer | string): Needle {
  return { owner, what, spelling, bytes: fold(typeof value === 'string' ? Buffer.from(value, 'utf8') : value) };
}

/** Many small texts as one haystack, so each needle is searched once; offsets map back to the part. */
export function joinedHaystack(name: string, parts: readonly { readonly label: string; readonly bytes: Buffer }[]): Haystack {
  const starts: number[] = [];
  let at = 0;
  for (const part of parts) {
    starts.push(at);
    at += part.bytes.length + 1;
  }
  return {
    name,
    bytes: Buffer.concat(parts.flatMap((p) => [p.bytes, Buffer.from('\n')])),
    locate: (offset) => {
      let i = starts.length - 1;
      while (i > 0 && starts[i]! > offset) i--;
      return parts[i]?.label ?? '?';
    },
  };
}

/** Every needle found in every haystack; the needles must be at least 6 bytes long to mean anything. */
export function search(needles: readonly Needle[], haystacks: readonly Haystack[]): Hit[] {
  const hits: Hit[] = [];
  for (const haystack of haystacks) {
    const folded = fold(haystack.bytes);
    for (const n of needles) {
      if (n.bytes.length < 6) throw new Error(`needle too short to search for: ${n.owner} ${n.what} ${n.spelling}`);
      const offset = folded.indexOf(n.bytes);
      if (offset === -1) continue;
      // Printable ASCII as it is, every other byte as a dot: enough to see what the value sits in.
      const context = haystack.bytes.subarray(Math.max(0, offset - 40), offset + n.bytes.length + 40).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
      hits.push({ needle: n, haystack: haystack.name, where: haystack.locate?.(offset) ?? `byte ${offset}`, context });
    }
  }
  return hits;
}

export function describeHit(hit: Hit): string {
  return `${hit.needle.owner}: ${hit.needle.what} (${hit.needle.spelling}) in ${hit.haystack} at ${hit.where}: …${hit.context}…`;
}
