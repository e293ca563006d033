import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { PackageEnvelopeV1, type PackageEnvelope, type PackageKind } from '../contracts/sync.js';
import { contractChecker } from '../contracts/validator.js';
import { VitrinError, type ErrorCode } from '../errors.js';
import type { PackageVersion } from './sync-ports.js';

// Downlink packages are signed with Ed25519. The signed message is the ASCII header
// "vitrin.package/1\n<kind>\n<storeId>\n<version>\n" followed by the body's bytes
// exactly as carried (base64-decoded), so kind, store and version cannot be changed
// without breaking the signature, and no JSON canonicalisation is needed.

const checkEnvelope = contractChecker(PackageEnvelopeV1);

// SubjectPublicKeyInfo DER prefix of an Ed25519 key (RFC 8410): the 32 raw bytes follow.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKey {
  readonly id: string;
  readonly key: KeyObject;
}

/** base64 of the 32 raw bytes, or a PEM public key; throws VITRIN_ERR_CLOUD_CONFIG. */
export function parsePublicKey(text: string): SigningKey {
  let key: KeyObject;
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('-----BEGIN')) key = createPublicKey(trimmed);
    else {
      const raw = Buffer.from(trimmed, 'base64');
      if (raw.length !== 32 || raw.toString('base64').replace(/=+$/, '') !== trimmed.replace(/=+$/, '')) throw new Error('not base64 of 32 bytes');
      key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    }
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_CLOUD_CONFIG', 'a cloud.signingPublicKeys entry is not an Ed25519 public key (base64 of 32 bytes, or PEM)', { cause });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new VitrinError('VITRIN_ERR_CLOUD_CONFIG', `a cloud.signingPublicKeys entry is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return { id: keyId(key), key };
}

/** The first 16 hex digits of sha256 of the raw 32-byte public key. */
export function keyId(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der.subarray(der.length - 32)).digest('hex').slice(0, 16);
}

/** Exactly the bytes that are signed. */
export function signedBytes(kind: PackageKind, storeId: string, version: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`vitrin.package/1\n${kind}\n${storeId}\n${version}\n`, 'ascii'), body]);
}

/** What the cloud does (and the tests): an envelope for `body`, signed with an Ed25519 private key (PEM or KeyObject). */
export function signPackage(
  input: { readonly kind: PackageKind; readonly storeId: string; readonly version: number; readonly body: Uint8Array; readonly createdAt?: string },
  privateKey: KeyObject | string,
): PackageEnvelope {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const signature = sign(null, signedBytes(input.kind, input.storeId, input.version, input.body), key);
  return {
    schema: 'vitrin.package/1',
    kind: input.kind,
    storeId: input.storeId,
    version: input.version,
    createdAt: input.createdAt ?? new Date().toISOString(),
    keyId: keyId(createPublicKey(key)),
    body: Buffer.from(input.body).toString('base64'),
    signature: signature.toString('base64'),
  };
}

export type RefusalReason = 'schema' | 'store' | 'signature' | 'replay' | 'downgrade' | 'invalid' | 'apply';

export interface Refusal {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly reason: RefusalReason;
  readonly message: string;
  readonly details?: readonly string[];
}

export interface Verified {
  readonly ok: true;
  readonly envelope: PackageEnvelope;
  readonly body: Buffer;
  readonly sha256: string;
}

/**
 * Checks a package before anything of it is used: its shape, that it is for this
 * store, its signature by one of `keys` (the one its keyId names, else any), and that
 * its version is above the last one taken for its kind.
 */
export function verifyPackage(value: unknown, keys: readonly SigningKey[], storeId: string, last: PackageVersion | undefined): Verified | Refusal {
  const problems = checkEnvelope(value);
  if (problems.length > 0) return { ok: false, code: 'VITRIN_ERR_PACKAGE_INVALID', reason: 'schema', message: 'the package breaks vitrin.package/1', details: problems.slice(0, 10) };
  const envelope = value as PackageEnvelope;
  const body = Buffer.from(envelope.body, 'base64');
  const signature = Buffer.from(envelope.signature, 'base64');
  const label = `${envelope.kind} package version ${envelope.version}`;
  if (envelope.storeId !== storeId) return { ok: false, code: 'VITRIN_ERR_PACKAGE_INVALID', reason: 'store', message: `the ${label} is for store ${envelope.storeId}, not ${storeId}` };
  const candidates = envelope.keyId === undefined ? keys : keys.filter((k) => k.id === envelope.keyId);
  const message = signedBytes(envelope.kind, envelope.storeId, envelope.version, body);
  const good = signature.length === 64 && candidates.some((k) => verify(null, message, k.key, signature));
  if (!good) {
    const why = keys.length === 0 ? 'no key is configured in cloud.signingPublicKeys' : candidates.length === 0 ? `its key ${envelope.keyId ?? ''} is not in cloud.signingPublicKeys` : 'the signature does not match';
    return { ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE', reason: 'signature', message: `the ${label} is refused: ${why}` };
  }
  if (last !== undefined && envelope.version <= last.version) {
    const replay = envelope.version === last.version;
    return {
      ok: false,
      code: 'VITRIN_ERR_PACKAGE_REPLAY',
      reason: replay ? 'replay' : 'downgrade',
      message: `the ${label} is refused: version ${last.version} was taken already${replay ? '' : ' (a downgrade)'}`,
    };
  }
  return { ok: true, envelope, body, sha256: createHash('sha256').update(body).digest('hex') };
}
