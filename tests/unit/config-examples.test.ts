import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../gateway/cli/vitrin.js';
import { loadConfig } from '../../gateway/config/load.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';

// config/examples/ is what store IT copies: every file must pass `vitrin config check`
// as shipped, and the store example must be the store the README describes.

const DIR = join(PACKAGE_ROOT, 'config', 'examples');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

describe('example configs', () => {
  it('are there: a whole store, its two receiver boxes and the starter install.sh copies', () => {
    expect(FILES.sort()).toEqual(['receiver-floor.yaml', 'receiver-pos-2.yaml', 'starter.yaml', 'store.yaml']);
  });

  it.each(FILES)('%s passes vitrin config check', async (file) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['config', 'check', join(DIR, file)], {
      startGateway: () => Promise.reject(new Error('not in this test')),
      env: {},
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out[0]).toMatch(/^config OK: default\.yaml \+ /);
  });

  it('store.yaml: two POS terminals, four zones, two adapters, two remote receivers with their own logins', () => {
    const { config } = loadConfig({ file: join(DIR, 'store.yaml'), env: {} });
    expect(config.mode).toBe('production');
    expect(config.terminals.map((t) => t.id)).toEqual(['till-1', 'till-2']);
    expect(config.terminals.every((t) => t.passwordHash !== undefined)).toBe(true);
    expect(config.zones).toHaveLength(4);
    expect(config.ble.adapters).toHaveLength(2);
    const local = new Set(config.ble.adapters.map((a) => a.receiver));
    const remote = config.receivers.filter((r) => !local.has(r.id));
    expect(remote.map((r) => r.id)).toEqual(['rx-floor', 'rx-pos-2']);
    expect(remote.every((r) => r.passwordHash !== undefined)).toBe(true);
  });

  it('each receiver box logs in as a remote receiver of the store and reports as it', () => {
    const store = loadConfig({ file: join(DIR, 'store.yaml'), env: {} }).config;
    for (const id of ['rx-floor', 'rx-pos-2']) {
      const box = loadConfig({ file: join(DIR, `receiver-${id.slice(3)}.yaml`), env: {} }).config;
      expect(box.ble.mode).toBe('receiver');
      expect(box.store.id).toBe(store.store.id);
      expect(box.mqtt.username).toBe(`receiver.${id}`);
      expect(box.ble.adapters.map((a) => a.receiver)).toEqual([id]);
      expect(store.receivers.find((r) => r.id === id)?.passwordHash).toBeDefined();
    }
  });
});
