import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.js';
import { isVitrinError } from '../../gateway/errors.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ env });
    return [];
  } catch (err) {
    if (!isVitrinError(err, 'VITRIN_ERR_CONFIG_INVALID')) throw err;
    return [...err.details];
  }
};

describe('cloud settings', () => {
  it('default to sync off, with every schedule valid', () => {
    expect(loadConfig({ env: {} }).config.cloud).toMatchObject({ url: '', batchMaxRecords: 500, diskCapMb: 256, signingPublicKeys: [] });
  });

  it('take keys as base64 of 32 bytes or PEM', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(problemsOf({ VITRIN_CLOUD__URL: 'https://sync.example.com', VITRIN_CLOUD__SIGNINGPUBLICKEYS: JSON.stringify([raw, pem]) })).toEqual([]);
  });

  it('list every problem with its path: cron, keys, URL, TLS halves', () => {
    const problems = problemsOf({
      VITRIN_CLOUD__URL: 'ftp://sync.example.com',
      VITRIN_CLOUD__UPLINKCRON: 'every second',
      VITRIN_CLOUD__SIGNINGPUBLICKEYS: '["bm90IGEga2V5"]',
      VITRIN_CLOUD__TLS__CERT: '/etc/vitrin/cloud.crt',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^\/cloud\/uplinkCron: "every second" is not a cron expression/),
      expect.stringMatching(/^\/cloud\/signingPublicKeys\/0: is not an Ed25519 public key/),
      '/cloud/url: ftp: is neither http: nor https:',
      '/cloud/tls: cert and key go together; key is empty',
    ]);
  });
});
