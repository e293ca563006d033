import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePublicKey, signedBytes, signPackage, verifyPackage } from '../../gateway/sync/package-signature.js';

const pair = () => generateKeyPairSync('ed25519');
const raw = (key: ReturnType<typeof pair>['publicKey']) => key.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
const body = Buffer.from(JSON.stringify({ schema: 'vitrin.catalog/1', items: [], stock: [], offers: [] }));

describe('downlink package signatures (Ed25519)', () => {
  const signer = pair();
  const keys = [parsePublicKey(raw(signer.publicKey))];
  const envelope = signPackage({ kind: 'catalog', storeId: 'kadikoy-01', version: 5, body }, signer.privateKey);

  it('signs exactly the header and the body bytes', () => {
    expect(signedBytes('catalog', 'kadikoy-01', 5, Buffer.from('{}')).toString()).toBe('vitrin.package/1\ncatalog\nkadikoy-01\n5\n{}');
  });

  it('accepts a package signed by a configured key, raw base64 or PEM', () => {
    expect(verifyPackage(envelope, keys, 'kadikoy-01', undefined)).toMatchObject({ ok: true, body });
    const pem = parsePublicKey(signer.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    expect(pem.id).toBe(keys[0]!.id);
    expect(verifyPackage(envelope, [pem], 'kadikoy-01', { version: 4, status: 'applied', sha256: '', at: 0 }).ok).toBe(true);
  });

  it('refuses a tampered body, a changed version or store, and an unknown key', () => {
    const tampered = { ...envelope, body: Buffer.from(body.toString().replace('[]', '[ ]')).toString('base64') };
    expect(verifyPackage(tampered, keys, 'kadikoy-01', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE', reason: 'signature' });
    expect(verifyPackage({ ...envelope, version: 6 }, keys, 'kadikoy-01', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE' });
    expect(verifyPackage({ ...envelope, storeId: 'moda-02' }, keys, 'moda-02', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE' });
    expect(verifyPackage(envelope, keys, 'moda-02', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_INVALID', reason: 'store' });
    const other = pair();
    expect(verifyPackage(envelope, [parsePublicKey(raw(other.publicKey))], 'kadikoy-01', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE' });
    expect(verifyPackage(envelope, [], 'kadikoy-01', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE' });
    expect(verifyPackage({ ...envelope, signature: 'AAAA' }, keys, 'kadikoy-01', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_SIGNATURE' });
    expect(verifyPackage({ ...envelope, extra: 1 }, keys, 'kadikoy-01', undefined)).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_INVALID', reason: 'schema' });
  });

  it('refuses a replay and a downgrade', () => {
    expect(verifyPackage(envelope, keys, 'kadikoy-01', { version: 5, status: 'applied', sha256: '', at: 0 })).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_REPLAY', reason: 'replay' });
    expect(verifyPackage(envelope, keys, 'kadikoy-01', { version: 9, status: 'applied', sha256: '', at: 0 })).toMatchObject({ ok: false, code: 'VITRIN_ERR_PACKAGE_REPLAY', reason: 'downgrade' });
  });

  it('verifies during a key rotation with either key listed', () => {
    const next = pair();
    const rotated = signPackage({ kind: 'model', storeId: 'kadikoy-01', version: 1, body }, next.privateKey);
    const both = [keys[0]!, parsePublicKey(raw(next.publicKey))];
    expect(verifyPackage(rotated, both, 'kadikoy-01', undefined).ok).toBe(true);
    expect(verifyPackage(envelope, both, 'kadikoy-01', undefined).ok).toBe(true);
    const { keyId: _dropped, ...withoutKeyId } = rotated;
    expect(verifyPackage(withoutKeyId, both, 'kadikoy-01', undefined).ok).toBe(true);
  });

  it('refuses config keys that are not Ed25519 public keys', () => {
    expect(() => parsePublicKey('not a key')).toThrow(/Ed25519/);
    expect(() => parsePublicKey(Buffer.alloc(31).toString('base64'))).toThrow(/Ed25519/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parsePublicKey(rsa)).toThrow(/not Ed25519/);
  });
});
