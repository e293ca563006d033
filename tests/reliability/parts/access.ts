import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { hashPassword } from '../../../gateway/mqtt/passwords.js';
import { freePort } from '../../support/free-port.js';
import { DYNSEC_PLUGIN, launchMosquitto } from '../../support/mosquitto.js';
import { connackCode, watcher } from '../../support/mqtt-logins.js';
import { verdict, type Mode, type Part, type Row } from '../report.js';
import { sleep, startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { BASE, carded, standAt, STORE_ID } from '../support/store-floor.js';
import { pairTablet } from '../support/tablet.js';

// Item 7: who may do what. The store has two tills in two zones, each with its own
// MQTT login, a remote receiver per till, a store-IT login and an admin token; the
// gateway runs on its embedded broker, then on Mosquitto with each set of files
// `vitrin mosquitto-config` writes (password and ACL files; the dynamic security file).
// A member at till B gets a card; till A, logged in and asking for everything, must see
// none of it.

const PASSWORDS = { tillA: 'till-a-secret', tillB: 'till-b-secret', rxA: 'rx-a-secret', rxB: 'rx-b-secret', admin: 'it-secret', gateway: 'gw-secret' };
const ADMIN_TOKEN = 'reliability-access-token';
const hash = (password: string) => hashPassword(password, { iterations: 1000 });

function accessYaml(): string {
  return `store: { id: ${STORE_ID}, name: Access store }
mode: demo
simulator: { members: 1000, nonMembers: 0, arrivalEverySeconds: 86400 }
http: { adminToken: ${ADMIN_TOKEN} }
mqtt:
  username: vitrin-gw
  password: ${PASSWORDS.gateway}
  admins: [ { username: store-it, passwordHash: "${hash(PASSWORDS.admin)}" } ]
zones:
  - { id: floor, name: Floor, kind: floor, dwellSeconds: 20 }
  - { id: pos-1, name: Till A, kind: pos, dwellSeconds: 1 }
  - { id: pos-2, name: Till B, kind: pos, dwellSeconds: 1 }
receivers:
  - { id: rx-floor, zone: floor }
  - { id: rx-pos-1, zone: pos-1, passwordHash: "${hash(PASSWORDS.rxA)}" }
  - { id: rx-pos-2, zone: pos-2, passwordHash: "${hash(PASSWORDS.rxB)}" }
terminals:
  - { id: till-a, zone: pos-1, passwordHash: "${hash(PASSWORDS.tillA)}" }
  - { id: till-b, zone: pos-2, passwordHash: "${hash(PASSWORDS.tillB)}" }
`;
}

/** Logins refused, and till A blind to till B while till B gets its card. */
async function mqttAccess(gateway: GatewayProcess, memberIndex: number): Promise<{ anonymous: string; isolation: string; tookOver: boolean; ok: { anonymous: boolean; isolation: boolean } }> {
  const url = gateway.mqttUrl;
  const anonymous = await connackCode(url, { clientId: 'anonymous-probe' });
  const wrong = await connackCode(url, { clientId: 'pos.till-a', username: 'pos.till-a', password: 'wrong' });
  const tillA = await watcher(url, { clientId: 'pos.till-a', username: 'pos.till-a', password: PASSWORDS.tillA }, [`${BASE}pos/till-b/cards`, `${BASE}pos/till-b/present`, `${BASE}pos/+/cards`, '#', `${BASE}pos/till-a/cards`]);
  const tillB = await watcher(url, { clientId: 'pos.till-b', username: 'pos.till-b', password: PASSWORDS.tillB }, [`${BASE}pos/till-b/cards`]);
  const receiver = await watcher(url, { clientId: 'receiver.rx-pos-2', username: 'receiver.rx-pos-2', password: PASSWORDS.rxB });
  const member = carded(memberIndex, 1)[0]!;
  const leave = standAt(receiver.client, member, 'rx-pos-2');
  const deadline = Date.now() + 10_000;
  while (!tillB.messages.some((m) => m.payload.includes(member.id)) && Date.now() < deadline) await sleep(50);
  leave();
  // Till A also tries to speak for till B.
  // The embedded broker closes the connection on a forbidden publish: the PUBACK never comes, so do not wait for it.
  tillA.client.publish(`${BASE}pos/till-b/feedback`, JSON.stringify({ cardId: 'x', action: 'shown' }), { qos: 1 });
  await sleep(500);
  const tillBGotCard = tillB.messages.some((m) => m.payload.includes(member.id));
  // Not reading, but worth knowing: can till A's login under till B's client id take till B's session over?
  const impostor = await connackCode(url, { clientId: 'pos.till-b', username: 'pos.till-a', password: PASSWORDS.tillA });
  await sleep(300);
  const tillBKicked = tillB.closed();
  const leaked = tillA.messages.filter((m) => !m.topic.startsWith(`${BASE}pos/till-a/`) && !m.topic.startsWith(`${BASE}gateway/`));
  const refusedFilters = [...tillA.granted].filter(([, code]) => code === 128).map(([filter]) => filter.replace(BASE, ''));
  for (const client of [tillA.client, tillB.client, receiver.client]) client.end(true);
  return {
    anonymous: `anonymous CONNACK ${anonymous}, wrong password ${wrong}`,
    isolation: `till B got ${member.id}'s card: ${tillBGotCard ? 'yes' : 'NO'}; till A's subscriptions refused (SUBACK 0x80): ${refusedFilters.length === 0 ? 'none (Mosquitto grants and filters)' : refusedFilters.join(', ')}; messages of other terminals delivered to till A: ${leaked.length}${leaked.length > 0 ? ` (${leaked[0]!.topic})` : ''}; till A's publish on till B's feedback topic ${tillA.closed() ? 'closed its connection' : 'went nowhere'}; till A's login with till B's client id: CONNACK ${impostor}${tillBKicked ? ', and till B was disconnected (session takeover)' : ', till B stayed connected'}`,
    tookOver: tillBKicked,
    ok: { anonymous: anonymous === 5 && (wrong === 4 || wrong === 5), isolation: tillBGotCard && leaked.length === 0 },
  };
}

async function adminAccess(gateway: GatewayProcess): Promise<{ noToken: string; tabletToken: string; ok: { noToken: boolean; tabletToken: boolean } }> {
  const routes: [string, string][] = [
    ['GET', '/admin/status'],
    ['GET', '/admin/tablets'],
    ['POST', '/admin/pairing-codes'],
    ['POST', '/admin/model/reload'],
    ['POST', '/admin/members/m-demo-0001/erase'],
    ['DELETE', '/admin/tablets/x'],
  ];
  const call = async (method: string, path: string, headers: Record<string, string>) => {
    const response = await fetch(`${gateway.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'POST' ? { body: '{}' } : {}) });
    const body = (await response.json().catch(() => ({}))) as { code?: string };
    return `${response.status} ${body.code ?? ''}`.trim();
  };
  const without = await Promise.all(routes.map(([m, p]) => call(m, p, {})));
  const wrongToken = await Promise.all(routes.map(([m, p]) => call(m, p, { authorization: 'Bearer not-the-token' })));
  const tablet = await pairTablet(gateway.httpUrl, ['pos-1'], ADMIN_TOKEN);
  const asBearer = await Promise.all(routes.map(([m, p]) => call(m, p, { authorization: `Bearer ${tablet}` })));
  const asCookie = await Promise.all(routes.map(([m, p]) => call(m, p, { cookie: `vitrin_tablet=${tablet}` })));
  const tabletWorks = (await call('GET', '/advisor/me', { cookie: `vitrin_tablet=${tablet}` })).startsWith('200');
  const all401 = (answers: string[]) => answers.every((a) => a === '401 VITRIN_ERR_HTTP_UNAUTHORIZED');
  const summary = (answers: string[]) => [...new Set(answers)].join(', ');
  return {
    noToken: `${routes.length} admin routes without a token: ${summary(without)}; with a wrong token: ${summary(wrongToken)}`,
    tabletToken: `a paired tablet's token (it works on /advisor/me: ${tabletWorks ? 'yes' : 'NO'}) on the ${routes.length} admin routes as Bearer: ${summary(asBearer)}; as its cookie: ${summary(asCookie)}`,
    ok: { noToken: all401(without) && all401(wrongToken), tabletToken: tabletWorks && all401(asBearer) && all401(asCookie) },
  };
}

/**
 * Mosquitto with what `vitrin mosquitto-config` writes for the same config: the password
 * and ACL files, or (`dynsec`) the dynamic security plugin's file, as the template offers.
 */
async function mosquittoFor(dir: string, configFile: string, dynsec: boolean) {
  const out = join(dir, dynsec ? 'mosquitto-dynsec' : 'mosquitto');
  const lines: string[] = [];
  const code = await runCli(['mosquitto-config', '--out', out, '--config', configFile], { startGateway: () => Promise.reject(new Error('not here')), env: {}, io: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
  if (code !== 0) throw new Error(`vitrin mosquitto-config failed: ${lines.join(' ')}`);
  if (dynsec && DYNSEC_PLUGIN === undefined) throw new Error("Mosquitto's dynamic security plugin is missing (Debian's mosquitto package ships it)");
  const logins = dynsec ? [`plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${out}/dynamic-security.json`] : [`password_file ${out}/passwd`, `acl_file ${out}/acl`];
  const port = await freePort();
  return launchMosquitto(['per_listener_settings false', 'allow_anonymous false', ...logins, `listener ${port} 127.0.0.1`, 'persistence false'].join('\n'), [port]);
}

/** The gateway on Mosquitto, checked as on the embedded broker. */
async function onMosquitto(dir: string, configFile: string, dynsec: boolean, memberIndex: number) {
  const mosquitto = await mosquittoFor(dir, configFile, dynsec);
  try {
    const gateway = await startGatewayProcess({ configFile, env: { VITRIN_DATA__DIR: join(dir, dynsec ? 'data-dynsec' : 'data-mosquitto') }, httpPort: await freePort(), mqtt: mosquitto.url });
    try {
      return await mqttAccess(gateway, memberIndex);
    } finally {
      await gateway.stop();
    }
  } finally {
    await mosquitto.stop();
  }
}

export const access: Part = {
  id: '7',
  title: 'access',
  async run(mode: Mode): Promise<Row[]> {
    const dir = join(mode.dir, 'access');
    mkdirSync(dir, { recursive: true });
    const configFile = join(dir, 'store.yaml');
    writeFileSync(configFile, accessYaml());
    const rows: Row[] = [];
    const embedded = await startGatewayProcess({ configFile, env: { VITRIN_DATA__DIR: join(dir, 'data-embedded') }, httpPort: await freePort(), mqtt: await freePort() });
    try {
      let started = performance.now();
      const onEmbedded = await mqttAccess(embedded, 600);
      const withFiles = await onMosquitto(dir, configFile, false, 610);
      const withDynsec = await onMosquitto(dir, configFile, true, 620);
      const mqttSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      const admin = await adminAccess(embedded);
      const httpSeconds = (performance.now() - started) / 1000;
      const all = (pick: (a: Awaited<ReturnType<typeof mqttAccess>>) => string) =>
        `embedded broker: ${pick(onEmbedded)}. Mosquitto, password and ACL files: ${pick(withFiles)}. Mosquitto, dynamic security file: ${pick(withDynsec)}`;
      const row = (id: string, check: string, tried: string, happened: string, ok: boolean, seconds: number): Row => ({ id, check, tried, happened, status: verdict(ok), seconds });
      rows.push(
        row(
          '7a',
          'anonymous MQTT refused',
          'connect without a login, and with a wrong password; on the embedded broker and on Mosquitto with either set of files `vitrin mosquitto-config` writes',
          all((a) => a.anonymous),
          onEmbedded.ok.anonymous && withFiles.ok.anonymous && withDynsec.ok.anonymous,
          mqttSeconds / 2,
        ),
        row(
          '7b',
          'terminal A cannot read terminal B',
          "till A logged in, subscribing to till B's cards and present list, pos/+/cards and #, and publishing on till B's feedback topic, while a member at till B gets a card; then till A's login under till B's client id (a takeover fails the check where the broker promises to refuse it: the embedded broker and the dynamic security file)",
          all((a) => a.isolation),
          onEmbedded.ok.isolation && !onEmbedded.tookOver && withFiles.ok.isolation && withDynsec.ok.isolation && !withDynsec.tookOver,
          mqttSeconds / 2,
        ),
        row('7c', 'admin API without a token', 'every admin route with no Authorization header, and with a wrong token', admin.noToken, admin.ok.noToken, httpSeconds / 2),
        row('7d', 'a tablet token cannot use the admin API', "a paired tablet's token on every admin route, as a Bearer token and as the tablet cookie", admin.tabletToken, admin.ok.tabletToken, httpSeconds / 2),
      );
    } finally {
      await embedded.stop();
    }
    return rows;
  },
};
