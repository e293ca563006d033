import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configCheck, configSchemaJson } from '../../gateway/cli/config-command.js';
import { loadConfig } from '../../gateway/config/load.js';
import { configDigest, secretPaths, withoutSecrets } from '../../gateway/config/secrets.js';
import { isVitrinError } from '../../gateway/errors.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';

function writeTemp(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vitrin-config-')), name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (isVitrinError(err)) return [err.code, ...err.details];
    throw err;
  }
  return [];
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('config', () => {
  it('loads the shipped defaults, frozen', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.store.id).toBe('demo-store');
    expect(config.mqtt.url).toBe('');
    expect(config.mqtt.embedded).toEqual({ host: '127.0.0.1', port: 1883 });
    expect(Object.isFrozen(config.mqtt)).toBe(true);
    expect(config.receivers[0]?.rssiOffset).toBe(0);
  });

  it("merges a store's file over the defaults: objects by key, lists replaced", () => {
    const file = writeTemp('store.yaml', 'store: { id: kadikoy-01, name: Kadıköy }\nterminals: []\n');
    const { config, files } = loadConfig({ file, env: {} });
    expect(config.store).toMatchObject({ id: 'kadikoy-01', name: 'Kadıköy', timezone: 'Europe/Istanbul' });
    expect(config.terminals).toEqual([]);
    expect(files).toHaveLength(2);
  });

  it('takes VITRIN_<SECTION>__<SETTING> overrides with their types, case-insensitively', () => {
    const { config } = loadConfig({ env: { VITRIN_HTTP__PORT: '8181', VITRIN_MQTT__EMBEDDED__HOST: '0.0.0.0', VITRIN_LOG__LEVEL: 'debug' } });
    expect(config.http.port).toBe(8181);
    expect(config.mqtt.embedded.host).toBe('0.0.0.0');
    expect(config.log.level).toBe('debug');
  });

  it('refuses an override that names no setting', () => {
    expect(problemsOf(() => loadConfig({ env: { VITRIN_HTTP__PROT: '1' } }))).toEqual([
      'VITRIN_ERR_CONFIG_INVALID',
      'VITRIN_HTTP__PROT: names no setting (use VITRIN_<SECTION>__<SETTING>, e.g. VITRIN_HTTP__PORT)',
    ]);
  });

  it('lists every problem of a broken file with its path', () => {
    const file = writeTemp(
      'broken.yaml',
      [
        'mqtt: { embedded: { port: 70000 }, protocolVersion: 3 }',
        'http: { prot: 8080 }',
        'log: { level: loud }',
        'receivers: [ { id: rx-1, zone: basement } ]',
        'terminals: [ { id: till-9, zone: floor } ]',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems[0]).toBe('VITRIN_ERR_CONFIG_INVALID');
    expect(problems).toEqual(
      expect.arrayContaining([
        '/mqtt/embedded/port: must be <= 65535',
        '/mqtt/protocolVersion: must be one of 4, 5',
        '/http: unknown setting "prot"',
        '/log/level: must be one of "fatal", "error", "warn", "info", "debug", "trace"',
      ]),
    );
  });

  it('checks references between zones, receivers and terminals once the shape is right', () => {
    const file = writeTemp('refs.yaml', 'receivers: [ { id: rx-1, zone: basement }, { id: rx-1, zone: floor } ]\nterminals: [ { id: till-9, zone: floor } ]\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual([
      'VITRIN_ERR_CONFIG_INVALID',
      '/receivers: duplicate id "rx-1"',
      '/receivers/0/zone: unknown zone "basement"',
      '/ble/adapters/0/receiver: unknown receiver "rx-floor"',
      '/terminals/0/zone: zone "floor" is a floor zone, not pos',
    ]);
  });

  it('refuses a Bluetooth adapter listed twice', () => {
    const file = writeTemp('adapters.yaml', 'ble: { adapters: [ { device: 0, receiver: rx-floor }, { device: 0, receiver: rx-entrance } ] }\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual(['VITRIN_ERR_CONFIG_INVALID', '/ble/adapters/1/device: hci0 is listed twice']);
  });

  it('refuses ESPresense rooms that name an unknown receiver or repeat', () => {
    const file = writeTemp('espresense.yaml', 'ble: { espresense: { topicPrefix: espresense, rooms: [ { room: till_1, receiver: rx-pos-1 }, { room: till_1, receiver: rx-till-9 } ] } }\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual([
      'VITRIN_ERR_CONFIG_INVALID',
      '/ble/espresense/rooms/1/receiver: unknown receiver "rx-till-9"',
      '/ble/espresense/rooms/1/room: room "till_1" is listed twice',
    ]);
  });

  it('reports unreadable YAML with its own code', () => {
    const file = writeTemp('bad.yaml', 'store: [unclosed\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))[0]).toBe('VITRIN_ERR_CONFIG_UNREADABLE');
    expect(problemsOf(() => loadConfig({ file: '/nonexistent/vitrin.yaml', env: {} }))[0]).toBe('VITRIN_ERR_CONFIG_UNREADABLE');
  });

  it('refuses YAML it would only half read (a language tag, an unknown YAML version) instead of printing a Node warning', async () => {
    const printed: unknown[] = [];
    const onWarning = (w: unknown) => printed.push(w);
    process.on('warning', onWarning);
    try {
      const tagged = writeTemp('tagged.yaml', 'http: { port: !!js/function "function () { return 1 }" }\n');
      expect(problemsOf(() => loadConfig({ file: tagged, env: {} }))[0]).toBe('VITRIN_ERR_CONFIG_UNREADABLE');
      const versioned = writeTemp('versioned.yaml', '%YAML 9.9\n---\nhttp: { port: 8080 }\n');
      expect(problemsOf(() => loadConfig({ file: versioned, env: {} }))[0]).toBe('VITRIN_ERR_CONFIG_UNREADABLE');
      // Node emits process warnings on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(printed).toEqual([]);
  });

  it('`config check` prints each problem and exits non-zero; a good file exits 0', () => {
    const bad = capture();
    expect(configCheck(writeTemp('b.yaml', 'http: { port: -1 }\nmode: test\n'), {}, bad.io)).toBe(1);
    expect(bad.err).toEqual([
      'VITRIN_ERR_CONFIG_INVALID: config has 2 problem(s)',
      '  /mode: must be one of "demo", "production"',
      '  /http/port: must be >= 0',
    ]);
    const good = capture();
    expect(configCheck(undefined, {}, good.io)).toBe(0);
    expect(good.out[0]).toMatch(/^config OK: default.yaml \(store demo-store, digest [0-9a-f]{16}\)$/);
  });

  it('keeps secrets out of the digest and of anything printable', () => {
    expect(secretPaths().sort()).toEqual(
      ['mqtt.password', 'mqtt.admins.*.passwordHash', 'http.adminToken', 'ble.espresense.passwordHash', 'receivers.*.passwordHash', 'terminals.*.passwordHash', 'cloud.token'].sort(),
    );
    const plain = loadConfig({ env: {} }).config;
    const secret = loadConfig({ env: { VITRIN_MQTT__PASSWORD: 'hunter2', VITRIN_HTTP__ADMINTOKEN: 'tok-123' } }).config;
    expect(configDigest(secret)).toBe(configDigest(plain));
    const printable = JSON.stringify(withoutSecrets(secret));
    expect(printable).not.toContain('hunter2');
    expect(printable).not.toContain('tok-123');
  });

  it('config/schema.json is the schema the code checks against', () => {
    expect(readFileSync(join(PACKAGE_ROOT, 'config', 'schema.json'), 'utf8')).toBe(configSchemaJson());
  });
});
