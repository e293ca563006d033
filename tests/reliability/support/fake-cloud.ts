import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pick, randomBytes, type Random } from './fuzz.js';

// The cloud as the sync protocol describes it (gateway/contracts/sync.ts): records are
// POSTed to /v1/stores/<id>/records (taken with 200 here), package lists are fetched
// from /v1/stores/<id>/packages. It serves whatever list the test sets, signed per the
// protocol ("vitrin.package/1\n<kind>\n<storeId>\n<version>\n" + body, Ed25519) with
// keys of its own, so the test can sign well, sign badly, or not sign at all.

export interface Envelope {
  schema: string;
  kind: string;
  storeId: string;
  version: number;
  createdAt: string;
  keyId?: string;
  body: string;
  signature: string;
}

export interface Signer {
  readonly privateKey: KeyObject;
  /** base64 of the raw 32-byte public key: what cloud.signingPublicKeys takes. */
  readonly publicBase64: string;
  readonly keyId: string;
}

export function newSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return { privateKey, publicBase64: raw.toString('base64'), keyId: createHash('sha256').update(raw).digest('hex').slice(0, 16) };
}

export function signed(signer: Signer, kind: string, storeId: string, version: number, body: Buffer): Envelope {
  const message = Buffer.concat([Buffer.from(`vitrin.package/1\n${kind}\n${storeId}\n${version}\n`, 'ascii'), body]);
  return {
    schema: 'vitrin.package/1',
    kind,
    storeId,
    version,
    createdAt: new Date().toISOString(),
    keyId: signer.keyId,
    body: body.toString('base64'),
    signature: sign(null, message, signer.privateKey).toString('base64'),
  };
}

export const catalogBody = (title: string) =>
  Buffer.from(JSON.stringify({ schema: 'vitrin.catalog/1', items: [{ sku: 'REL-1', title, category: 'test', price: 1 }], stock: [{ sku: 'REL-1', quantity: 1 }], offers: [] }));

function flipBase64(random: Random, text: string): string {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length === 0) return 'AA==';
  bytes[Math.floor(random() * bytes.length)]! ^= 1 << Math.floor(random() * 8);
  return bytes.toString('base64');
}

/**
 * One hostile package for a store whose last taken catalog is `current`: a bad signature
 * (tampered body, flipped signature, another key, a stranger's key id, a short or empty
 * signature), a replay or downgrade of a good one, another store's, broken fields, or
 * something that is not a package at all.
 */
export function hostilePackage(random: Random, signer: Signer, other: Signer, storeId: string, current: number): { kind: string; value: unknown; version: number } {
  const made = hostile(random, signer, other, storeId, current);
  return { ...made, version: current + 6 };
}

function hostile(random: Random, signer: Signer, other: Signer, storeId: string, current: number): { kind: string; value: unknown } {
  const next = current + 1 + Math.floor(random() * 5);
  const good = (version: number, store = storeId) => signed(signer, 'catalog', store, version, catalogBody(`v${version}`));
  const roll = random();
  if (roll < 0.3) {
    const envelope = good(next);
    const how = pick(random, ['tampered body', 'flipped signature', 'signed by another key', "a stranger's key id", 'signature too short', 'no signature', 'version changed after signing', 'kind changed after signing']);
    if (how === 'tampered body') envelope.body = flipBase64(random, envelope.body);
    if (how === 'flipped signature') envelope.signature = flipBase64(random, envelope.signature);
    if (how === 'signed by another key') return { kind: `bad signature: ${how}`, value: { ...signed(other, 'catalog', storeId, next, catalogBody('forged')), keyId: signer.keyId } };
    if (how === "a stranger's key id") return { kind: `bad signature: ${how}`, value: signed(other, 'catalog', storeId, next, catalogBody('forged')) };
    if (how === 'signature too short') envelope.signature = Buffer.from(envelope.signature, 'base64').subarray(0, 63).toString('base64');
    if (how === 'no signature') envelope.signature = '';
    if (how === 'version changed after signing') envelope.version = next + 1;
    if (how === 'kind changed after signing') envelope.kind = 'model';
    return { kind: `bad signature: ${how}`, value: envelope };
  }
  if (roll < 0.45) return { kind: 'replay', value: good(current) };
  if (roll < 0.6) return { kind: 'downgrade', value: good(1 + Math.floor(random() * Math.max(1, current - 1))) };
  if (roll < 0.67) return { kind: "another store's", value: good(next, 'another-store') };
  if (roll < 0.87) {
    const envelope: Record<string, unknown> = { ...good(next) };
    const field = pick(random, ['schema', 'kind', 'storeId', 'version', 'createdAt', 'keyId', 'body', 'signature', 'extra']);
    envelope[field] = pick(random, [null, 0, -1, 1.5, 2 ** 60, '', 'x', [], {}, true, '%%%not base64%%%', randomBytes(random, 8).toString('latin1')]);
    // Only a required field's absence breaks a package: without keyId (optional) or `extra` it is still a good one.
    if (random() < 0.2 && field !== 'keyId' && field !== 'extra') delete envelope[field];
    return { kind: `broken field: ${field}`, value: envelope };
  }
  // null has a list of its own in the test: it stops the whole poll (a known gap), which would hide the rest.
  return { kind: 'not a package', value: pick(random, [0, 'package', [], [good(next)], true, {}]) };
}

export class FakeCloud {
  private server: Server | undefined;
  /** The next answer to a package poll: a list, or raw bytes with a status. */
  answer: { status: number; body: string | Buffer } = { status: 204, body: '' };
  polls = 0;
  records = 0;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method === 'POST' && request.url?.includes('/records') === true) {
          this.records++;
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        if (request.method === 'GET' && request.url?.includes('/packages') === true) {
          this.polls++;
          response.writeHead(this.answer.status, { 'content-type': 'application/json' }).end(this.answer.body);
          return;
        }
        response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  list(packages: readonly unknown[]): void {
    this.answer = { status: 200, body: JSON.stringify({ schema: 'vitrin.package-list/1', packages }) };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
