import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SqliteRosterStore } from '../../../adapters/sqlite/sqlite-roster-store.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { demoRoster } from '../../../gateway/identity/demo-roster.js';
import { RosterCipher } from '../../../gateway/identity/roster-cipher.js';
import { parseRosterFile, recordFromMember } from '../../../gateway/identity/roster-file.js';
import { loadRosterKey } from '../../../gateway/identity/roster-key.js';
import { RosterVault } from '../../../gateway/identity/roster-vault.js';
import { startGateway } from '../../../gateway/main.js';
import { FakeClock } from '../../fakes/fake-clock.js';

const log = pino({ level: 'silent' });

function vaultIn(dir: string, key: Buffer, clock = new FakeClock()) {
  const store = new SqliteRosterStore({ dataDir: dir });
  return { store, vault: new RosterVault({ store, cipher: new RosterCipher(key), clock, log, pollMs: 1000 }) };
}

describe('the roster at rest', () => {
  const members = demoRoster(5, 3, 10).members;

  it('stores members sealed: neither identity keys nor names are in the file, and they open again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-roster-'));
    const key = randomBytes(32);
    const { store, vault } = vaultIn(dir, key);
    await store.start();
    vault.write(members, 10);
    await store.stop();
    const bytes = readFileSync(join(dir, 'vitrin.db'));
    for (const m of members) {
      expect(bytes.includes(Buffer.from(m.identityKey))).toBe(false);
      expect(bytes.includes(Buffer.from(m.identityKey).toString('hex'))).toBe(false);
      expect(bytes.includes(m.profile.firstName)).toBe(false);
    }
    const again = vaultIn(dir, key);
    await again.store.start();
    // Loading keeps identities only; a profile is opened when a card needs it.
    expect(again.vault.loadAll()).toEqual(members.map(({ profile: _, ...identity }) => ({ ...identity, identityKey: Uint8Array.from(identity.identityKey) })));
    expect(again.vault.member(members[1]!.id)).toEqual({ ...members[1], identityKey: Buffer.from(members[1]!.identityKey) });
    expect(again.vault.member('m-nobody')).toBeUndefined();
    expect(again.vault.rotationExponent()).toBe(10);
    await again.store.stop();
  });

  it('refuses another key with VITRIN_ERR_ROSTER_KEY instead of reading garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-roster-'));
    const { store, vault } = vaultIn(dir, randomBytes(32));
    await store.start();
    vault.write(members);
    await store.stop();
    const wrong = vaultIn(dir, randomBytes(32));
    await wrong.store.start();
    expect(() => wrong.vault.loadAll()).toThrow(expect.objectContaining({ code: 'VITRIN_ERR_ROSTER_KEY' }));
    expect(() => wrong.vault.write(members)).toThrow(expect.objectContaining({ code: 'VITRIN_ERR_ROSTER_KEY' }));
    await wrong.store.stop();
  });

  it('a record moved to another member row does not open', () => {
    const cipher = new RosterCipher(randomBytes(32));
    const sealed = cipher.seal(members[0]!);
    expect(() => cipher.open(members[1]!.id, sealed)).toThrow(expect.objectContaining({ code: 'VITRIN_ERR_ROSTER_KEY' }));
  });

  it('hands members written by another process to the running gateway at the next poll', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-roster-'));
    const key = randomBytes(32);
    const clock = new FakeClock();
    const running = vaultIn(dir, key, clock);
    await running.store.start();
    expect(running.vault.loadAll()).toEqual([]);
    const seen: string[] = [];
    running.vault.listen((ms) => seen.push(...ms.map((m) => m.id)));
    await running.vault.start();
    const importer = vaultIn(dir, key);
    await importer.store.start();
    importer.vault.write(members.slice(0, 2));
    await importer.store.stop();
    clock.advance(1000);
    expect(seen).toEqual([members[0]!.id, members[1]!.id]);
    clock.advance(1000);
    expect(seen).toHaveLength(2);
    await running.vault.stop();
    await running.store.stop();
  });

  it('lists what is wrong with a roster file, by path, without member ids', () => {
    const good = recordFromMember(members[0]!);
    const text = JSON.stringify({ schema: 'vitrin.roster/1', members: [{ ...good, identityKey: 'abc' }, { ...good, consent: {} }] });
    const err: unknown = (() => {
      try {
        parseRosterFile(text);
      } catch (e) {
        return e;
      }
    })();
    expect(isVitrinError(err, 'VITRIN_ERR_ROSTER_INVALID')).toBe(true);
    const details = (err as { details: string[] }).details;
    expect(details.some((d) => d.startsWith('/members/0/identityKey'))).toBe(true);
    expect(details.some((d) => d.startsWith('/members/1/consent'))).toBe(true);
    expect(details.join('\n')).not.toContain(good.id);
    expect(() => parseRosterFile(JSON.stringify({ schema: 'vitrin.roster/1', members: [good, good] }))).toThrow(/twice/);
  });

  it('reads the key from the systemd credential first, then the environment, and refuses a malformed one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-cred-'));
    const fromFile = randomBytes(32).toString('hex');
    writeFileSync(join(dir, 'roster-key'), `${fromFile}\n`);
    const fromEnv = randomBytes(32).toString('hex');
    expect(loadRosterKey({ CREDENTIALS_DIRECTORY: dir, VITRIN_ROSTER_KEY: fromEnv })?.toString('hex')).toBe(fromFile);
    expect(loadRosterKey({ VITRIN_ROSTER_KEY: fromEnv })?.toString('hex')).toBe(fromEnv);
    expect(loadRosterKey({})).toBeUndefined();
    expect(() => loadRosterKey({ VITRIN_ROSTER_KEY: 'short' })).toThrow(expect.objectContaining({ code: 'VITRIN_ERR_ROSTER_KEY' }));
  });

  it('production mode refuses to start without the roster key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-prod-'));
    const loaded = loadConfig({ env: { VITRIN_MODE: 'production', VITRIN_DATA__DIR: dir, VITRIN_HTTP__PORT: '0', VITRIN_MQTT__EMBEDDED__PORT: '0' } });
    const err: unknown = await startGateway({ loaded, env: {}, log }).catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_ROSTER_KEY')).toBe(true);
  });
});
