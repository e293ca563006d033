import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../gateway/cli/vitrin.js';
import type { Config } from '../../gateway/config/schema.js';
import { configProblems } from '../../gateway/config/validate.js';
import { withoutSecrets } from '../../gateway/config/secrets.js';
import { isVitrinError } from '../../gateway/errors.js';
import {
  adminRules,
  embeddedAccessPlan,
  espresenseRules,
  filterCovers,
  isLoopback,
  mayPublish,
  mayRead,
  maySubscribe,
  mqttAccounts,
  ownClientId,
  receiverRules,
  terminalRules,
} from '../../gateway/mqtt/access.js';
import { BrokerLogins, newGatewayLogin } from '../../gateway/mqtt/broker-logins.js';
import { mosquittoFiles } from '../../gateway/mqtt/mosquitto-files.js';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../gateway/mqtt/passwords.js';
import { testConfig } from '../support/test-config.js';

const BASE = 'vitrin/s1/';
// Hashes with few iterations keep the tests fast; the format is the same.
const hash = (password: string) => hashPassword(password, { iterations: 1000 });

function configWith(change: (config: Config) => void): Config {
  const config = structuredClone(testConfig());
  change(config);
  return config;
}

describe('topic rules: a POS terminal', () => {
  const a = terminalRules('s1', 'till-a');

  it.each([
    `${BASE}pos/till-a/cards`,
    `${BASE}pos/till-a/present`,
    `${BASE}pos/till-a/errors`,
    `${BASE}gateway/state`,
    `${BASE}gateway/info`,
    `${BASE}gateway/health`,
  ])('may subscribe to %s', (filter) => expect(maySubscribe(a, filter)).toBe(true));

  it.each([
    [`${BASE}pos/till-b/cards`, "another terminal's cards"],
    [`${BASE}pos/till-b/present`, "another terminal's present list"],
    [`${BASE}pos/+/cards`, 'every terminal by wildcard'],
    [`${BASE}pos/till-a/#`, 'its own subtree, which holds its feedback too'],
    [`${BASE}pos/till-a/+`, 'its own level, which holds its feedback too'],
    [`${BASE}pos/till-a/feedback`, 'its own feedback (write only)'],
    [`${BASE}#`, 'the whole store'],
    ['#', 'everything'],
    ['+/+/pos/till-a/cards', 'another store by wildcard'],
    [`${BASE}gateway/+`, 'the gateway level, which holds requests'],
    [`${BASE}gateway/response/erase`, 'admin responses'],
    [`vitrin/s2/pos/till-a/cards`, "another store's till of the same name"],
    [`${BASE}pos/till-a/cards/#x`, 'a malformed filter'],
    ['', 'an empty filter'],
  ])('may not subscribe to %s (%s)', (filter) => expect(maySubscribe(a, filter)).toBe(false));

  it('may publish its own feedback and nothing else', () => {
    expect(mayPublish(a, `${BASE}pos/till-a/feedback`)).toBe(true);
    for (const topic of [
      `${BASE}pos/till-b/feedback`,
      `${BASE}pos/till-a/cards`,
      `${BASE}pos/till-a/present`,
      `${BASE}gateway/state`,
      `${BASE}gateway/request/erase`,
      `${BASE}pos/+/feedback`,
      `${BASE}receivers/rx-1/sightings`,
    ]) {
      expect(mayPublish(a, topic), topic).toBe(false);
    }
  });

  it("reads only its own messages when the broker checks each delivery", () => {
    expect(mayRead(a, `${BASE}pos/till-a/cards`)).toBe(true);
    expect(mayRead(a, `${BASE}pos/till-b/cards`)).toBe(false);
  });
});

describe('topic rules: receivers, admins, ESPresense', () => {
  it('a receiver publishes its own sightings and state, and those of receivers on its box', () => {
    const rx = receiverRules('s1', ['rx-1', 'rx-2']);
    expect(mayPublish(rx, `${BASE}receivers/rx-1/sightings`)).toBe(true);
    expect(mayPublish(rx, `${BASE}receivers/rx-1/state`)).toBe(true);
    expect(mayPublish(rx, `${BASE}receivers/rx-2/sightings`)).toBe(true);
    expect(mayPublish(rx, `${BASE}receivers/rx-3/sightings`)).toBe(false);
    expect(mayPublish(rx, `${BASE}pos/till-a/cards`)).toBe(false);
    expect(maySubscribe(rx, `${BASE}gateway/state`)).toBe(true);
    expect(maySubscribe(rx, `${BASE}receivers/+/sightings`)).toBe(false);
  });

  it('an admin sends requests and reads the whole store, nothing more', () => {
    const admin = adminRules('s1');
    expect(mayPublish(admin, `${BASE}gateway/request/erase`)).toBe(true);
    expect(mayPublish(admin, `${BASE}gateway/state`)).toBe(false);
    expect(mayPublish(admin, `${BASE}pos/till-a/cards`)).toBe(false);
    expect(maySubscribe(admin, `${BASE}gateway/response/#`)).toBe(true);
    expect(maySubscribe(admin, `${BASE}#`)).toBe(true);
    expect(maySubscribe(admin, `${BASE}pos/+/cards`)).toBe(true);
    expect(maySubscribe(admin, 'vitrin/#')).toBe(false);
    expect(maySubscribe(admin, '#')).toBe(false);
  });

  it('ESPresense nodes publish under their prefix and read nothing', () => {
    const nodes = espresenseRules('espresense/');
    expect(mayPublish(nodes, 'espresense/devices/iBeacon:x-1-2/till_1')).toBe(true);
    expect(mayPublish(nodes, 'espresense/rooms/till_1/status')).toBe(true);
    expect(mayPublish(nodes, `${BASE}receivers/rx-1/sightings`)).toBe(false);
    expect(mayPublish(nodes, 'espresensex/devices/a/b')).toBe(false);
    expect(maySubscribe(nodes, 'espresense/#')).toBe(false);
  });
});

describe('filterCovers', () => {
  it.each([
    ['a/#', 'a', true],
    ['a/#', 'a/+/c', true],
    ['a/#', 'a/#', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false],
    ['a/+', 'a', false],
    ['a/b', 'a/+', false],
    ['a/b', 'a/b/c', false],
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['#', 'x/y', true],
  ])('%s covers %s: %s', (outer, inner, expected) => expect(filterCovers(outer, inner)).toBe(expected));
});

describe('passwords in Mosquitto 2 format', () => {
  it('verifies a hash written by Debian mosquitto_passwd 2.0.11 (user alice, password secret)', async () => {
    const stored = '$7$101$AAGFDi3T8iAEZjIU$6uBlwWejYRpBZQLbVXOpgyfIv3c29g4FM0KK3lkcsZ2z144mZ7SWpyExZ6u5uccVJGglBuEn7+INcPvUOgqOdw==';
    expect(parsePasswordHash(stored)).toMatchObject({ iterations: 101 });
    expect(await verifyPassword('secret', stored)).toBe(true);
    expect(await verifyPassword('Secret', stored)).toBe(false);
  });

  it('hashes with a fresh 12-byte salt and checks its own hashes', async () => {
    const one = hash('correct horse');
    expect(one).toMatch(/^\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(hash('correct horse')).not.toBe(one);
    expect(await verifyPassword('correct horse', one)).toBe(true);
    expect(await verifyPassword(Buffer.from('correct horse'), one)).toBe(true);
    expect(await verifyPassword('correct horsf', one)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });
});

describe('logins from config', () => {
  const config = configWith((c) => {
    c.store.id = 's1';
    c.terminals = [
      { id: 'till-a', zone: 'pos-1', passwordHash: hash('pa') },
      { id: 'till-b', zone: 'pos-1', passwordHash: hash('pb') },
      { id: 'till-c', zone: 'pos-1' },
    ];
    c.receivers = [
      { id: 'rx-entrance', zone: 'entrance', rssiOffset: 0, pathLossExponent: 2.2, passwordHash: hash('rx') },
      { id: 'rx-floor', zone: 'floor', rssiOffset: 0, pathLossExponent: 2.2, via: 'rx-entrance' },
      { id: 'rx-pos-1', zone: 'pos-1', rssiOffset: 0, pathLossExponent: 2.2 },
    ];
    c.mqtt.admins = [{ username: 'store-it', passwordHash: hash('it') }];
    c.ble.espresense.passwordHash = hash('esp');
  });

  it('gives each terminal, remote receiver, admin and the ESPresense nodes a login with its rules', () => {
    expect(configProblems(structuredClone(config))).toEqual([]);
    const accounts = mqttAccounts(config);
    expect(accounts.map((a) => [a.username, a.role])).toEqual([
      ['pos.till-a', 'terminal'],
      ['pos.till-b', 'terminal'],
      ['receiver.rx-entrance', 'receiver'],
      ['store-it', 'admin'],
      ['espresense', 'espresense'],
    ]);
    expect(accounts[2]!.rules).toEqual(receiverRules('s1', ['rx-entrance', 'rx-floor']));
  });

  it('keeps every hash out of anything printable', () => {
    const printable = JSON.stringify(withoutSecrets(config));
    expect(printable).not.toContain('$7$');
    expect(printable).toContain('"till-a"');
  });

  it('the embedded broker refuses anonymous clients once any login exists, and checks passwords', async () => {
    const plan = embeddedAccessPlan(config);
    expect(plan.anonymous).toBe('refused');
    const gateway = newGatewayLogin('vitrin-gateway');
    const logins = new BrokerLogins(plan, gateway);
    const attempt = (username: string | undefined, password: string | undefined, clientId = 'c1', remoteAddress = '127.0.0.1') =>
      logins.login({ clientId, username, password: password === undefined ? undefined : Buffer.from(password), remoteAddress });
    expect(await attempt('pos.till-a', 'pa')).toMatchObject({ ok: true, role: 'terminal', rules: terminalRules('s1', 'till-a') });
    expect(await attempt('pos.till-a', 'pb')).toMatchObject({ ok: false, reason: 'bad-credentials' });
    expect(await attempt('pos.till-c', '')).toMatchObject({ ok: false, reason: 'bad-credentials' });
    expect(await attempt(undefined, undefined)).toMatchObject({ ok: false, reason: 'not-authorized' });
    expect(await attempt('store-it', 'it', 'c2', '10.0.0.7')).toMatchObject({ ok: true, role: 'admin' });
    expect(await attempt(gateway.username, gateway.password, 'vitrin-gateway')).toMatchObject({ ok: true, role: 'gateway' });
    expect(await attempt(gateway.username, 'guess', 'vitrin-gateway')).toMatchObject({ ok: false, reason: 'bad-credentials' });
    // Taking the gateway's client id would throw the gateway off the broker.
    expect(await attempt('pos.till-a', 'pa', 'vitrin-gateway')).toMatchObject({ ok: false, reason: 'client-id-taken' });
    // A client id in use: the same login may take it over (a till reconnecting), another may not.
    const held = (username: string, password: string, heldBy: string) =>
      logins.login({ clientId: 'pos.till-b', username, password: Buffer.from(password), remoteAddress: '10.0.0.9', clientIdHeldBy: heldBy });
    expect(await held('pos.till-a', 'pa', 'pos.till-b')).toMatchObject({ ok: false, reason: 'client-id-taken' });
    expect(await held('pos.till-b', 'pb', 'pos.till-b')).toMatchObject({ ok: true, role: 'terminal' });
    expect(await held('pos.till-a', 'pb', 'pos.till-b')).toMatchObject({ ok: false, reason: 'bad-credentials' });
  });

  it("writes Mosquitto's password file with the configured hashes and an ACL with the same rules", () => {
    const files = mosquittoFiles({ ...config, mqtt: { ...config.mqtt, username: 'vitrin-gw' } }, hash('gw'));
    const lines = files.passwd.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['vitrin-gw', 'pos.till-a', 'pos.till-b', 'receiver.rx-entrance', 'store-it', 'espresense']);
    expect(lines[1]).toBe(`pos.till-a:${config.terminals[0]!.passwordHash}`);
    expect(files.acl).toContain(
      [
        'user pos.till-a',
        `topic read ${BASE}pos/till-a/cards`,
        `topic read ${BASE}pos/till-a/present`,
        `topic read ${BASE}pos/till-a/errors`,
        `topic read ${BASE}gateway/state`,
        `topic read ${BASE}gateway/info`,
        `topic read ${BASE}gateway/health`,
        `topic write ${BASE}pos/till-a/feedback`,
      ].join('\n'),
    );
    expect(files.acl).toContain('user vitrin-gw\ntopic readwrite #\n');
    expect(files.acl).toContain('user espresense\ntopic write espresense/#\n');
    expect(files.acl).not.toContain('$7$');
  });

  it("binds tills and receivers to their username as client id in the dynamic security file, the gateway to mqtt.clientId, and leaves store IT and ESPresense unbound", () => {
    const files = mosquittoFiles({ ...config, mqtt: { ...config.mqtt, username: 'vitrin-gw', clientId: 'vitrin-gateway' } }, hash('gw'));
    const dynsec = JSON.parse(files.dynamicSecurity) as { clients: { username: string; clientid?: string; roles: { rolename: string }[] }[] };
    expect(dynsec.clients.map((c) => [c.username, c.clientid ?? 'any'])).toEqual([
      ['vitrin-gw', 'vitrin-gateway'],
      ['pos.till-a', 'pos.till-a'],
      ['pos.till-b', 'pos.till-b'],
      ['receiver.rx-entrance', 'receiver.rx-entrance'],
      ['store-it', 'any'],
      ['espresense', 'any'],
    ]);
    expect(files.dynamicSecurity).not.toContain('$7$');
  });
});

describe('the client id this process connects with', () => {
  it('is mqtt.clientId for the gateway, and a receiver box its login (the client id its login is bound to)', () => {
    const gateway = configWith((c) => (c.mqtt.username = 'vitrin-gw'));
    expect(ownClientId(gateway)).toBe(gateway.mqtt.clientId);
    const receiver = configWith((c) => {
      c.ble.mode = 'receiver';
      c.mqtt.username = 'receiver.rx-entrance';
      c.ble.adapters = [{ device: 0, receiver: 'rx-floor' }, { device: 1, receiver: 'rx-entrance' }];
    });
    expect(ownClientId(receiver)).toBe('receiver.rx-entrance');
    // Without a login (a broker open on loopback), or with a custom login several boxes may
    // share: one client id per box, apart from the gateway's.
    for (const username of ['', 'store-receivers']) {
      const box = configWith((c) => {
        c.ble.mode = 'receiver';
        c.mqtt.username = username;
      });
      expect(ownClientId(box), username).toBe(`${box.mqtt.clientId}-${box.ble.adapters[0]!.receiver}`);
    }
  });
});

describe('who may connect when no login is configured', () => {
  it('on loopback (the demo default) anyone on this machine, nobody else', async () => {
    const plan = embeddedAccessPlan(testConfig());
    expect(plan).toMatchObject({ anonymous: 'loopback' });
    expect(plan.warning).toBeUndefined();
    const logins = new BrokerLogins(plan, newGatewayLogin('vitrin-gateway'));
    expect(await logins.login({ clientId: 'c', username: undefined, password: undefined, remoteAddress: '::ffff:127.0.0.1' })).toMatchObject({ ok: true, role: 'anonymous' });
    expect(await logins.login({ clientId: 'c', username: undefined, password: undefined, remoteAddress: '192.168.1.20' })).toMatchObject({ ok: false, reason: 'not-authorized' });
    expect(await logins.login({ clientId: 'c', username: undefined, password: undefined, remoteAddress: undefined })).toMatchObject({ ok: false });
  });

  it('demo mode listening on the LAN starts, warns, and still admits only this machine', () => {
    const plan = embeddedAccessPlan(testConfig({ VITRIN_MQTT__EMBEDDED__HOST: '0.0.0.0' }));
    expect(plan.anonymous).toBe('loopback');
    expect(plan.warning).toContain('only clients on this machine');
  });

  it('production mode listening on the LAN without logins refuses to start', () => {
    const exposed: Record<string, string>[] = [{ VITRIN_MQTT__EMBEDDED__HOST: '0.0.0.0' }, { VITRIN_MQTT__TLS__CERT: '/c.pem', VITRIN_MQTT__TLS__KEY: '/k.pem' }];
    for (const env of exposed) {
      let err: unknown;
      try {
        embeddedAccessPlan(testConfig({ VITRIN_MODE: 'production', ...env }));
      } catch (e) {
        err = e;
      }
      expect(isVitrinError(err, 'VITRIN_ERR_MQTT_AUTH_REQUIRED')).toBe(true);
    }
    expect(embeddedAccessPlan(testConfig({ VITRIN_MODE: 'production' })).anonymous).toBe('loopback');
  });

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '10.0.0.5', '::ffff:10.0.0.5', '128.0.0.1']) expect(isLoopback(a), a).toBe(false);
  });
});

describe('config checks for logins', () => {
  it('lists broken via chains, clashing usernames, half a TLS pair and a non-hash', () => {
    const config = configWith((c) => {
      c.receivers[0]!.via = 'rx-floor';
      c.receivers[1]!.via = 'rx-nowhere';
      c.receivers[2]!.passwordHash = hash('x');
      c.receivers[2]!.via = 'rx-entrance';
      c.mqtt.admins = [
        { username: 'it', passwordHash: hash('a') },
        { username: 'it', passwordHash: hash('b') },
      ];
      c.mqtt.username = 'pos.till-1';
      c.mqtt.tls.cert = '/etc/vitrin/broker.pem';
      c.terminals[0]!.passwordHash = 'hunter2';
    });
    const problems = configProblems(config);
    expect(problems).toEqual([expect.stringMatching(/^\/terminals\/0\/passwordHash: must match pattern/)]);
    (config.terminals[0] as { passwordHash?: string }).passwordHash = hash('t');
    expect(configProblems(config)).toEqual([
      '/receivers/0/via: receiver "rx-floor" has no passwordHash of its own',
      '/receivers/1/via: "rx-nowhere" is not another receiver',
      '/receivers/2/via: receiver "rx-entrance" has no passwordHash of its own',
      '/receivers/2: a receiver has either its own passwordHash or via, not both',
      '/mqtt/admins/1/username: MQTT username "it" is also /mqtt/admins/0/username',
      '/mqtt/username: "pos.till-1" is reserved: pos.*, receiver.* and vitrin.* name terminals, receivers and the embedded broker\'s own login',
      '/mqtt/tls: cert and key go together; key is empty',
    ]);
  });
});

describe('the commands', () => {
  const noGateway = () => Promise.reject(new Error('not started here'));
  const run = async (argv: string[], env: Record<string, string> = {}, input = '') => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) };
    const code = await runCli(argv, { startGateway: noGateway, env, io, readInput: () => Promise.resolve(input) });
    return { code, out, err };
  };

  it('hash-password hashes stdin or a generated password, in the format config takes', async () => {
    const typed = await run(['hash-password', '--iterations', '1000'], {}, 'pw from stdin\n');
    expect(typed.code).toBe(0);
    expect(await verifyPassword('pw from stdin', typed.out[0]!)).toBe(true);
    const generated = await run(['hash-password', '--generate', '--iterations', '1000']);
    const { password, passwordHash } = JSON.parse(generated.out[0]!) as { password: string; passwordHash: string };
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await verifyPassword(password, passwordHash)).toBe(true);
    expect((await run(['hash-password'], {}, '')).code).toBe(2);
    expect((await run(['hash-password', '--iterations', '5'], {}, 'x')).code).toBe(2);
  });

  it("mosquitto-config needs --out and the gateway's own login", async () => {
    expect((await run(['mosquitto-config'])).code).toBe(2);
    const missing = await run(['mosquitto-config', '--out', join(mkdtempSync(join(tmpdir(), 'vitrin-mq-')), 'out')]);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/^VITRIN_ERR_MOSQUITTO_CONFIG: /);
  });
});
