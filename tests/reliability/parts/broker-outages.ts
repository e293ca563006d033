import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../../support/free-port.js';
import { startMosquitto, type RunningMosquitto } from '../../support/mosquitto.js';
import { timed, verdict, type Part, type Row } from '../report.js';
import { sleep, startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { BASE, carded, standAt, writeStoreConfig } from '../support/store-floor.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { Watch } from '../support/watch.js';

// Item 2: the gateway on Debian's Mosquitto, through a proxy that can break the link.
// A till watches its topics straight on the broker. After each outage: how long until
// the gateway is back (its retained `online`), whether the till's present list and the
// unexpired card it was showing come again, and whether a member who arrived meanwhile
// gets a card.

const RECONNECT_LIMIT_MS = 5_000;
const STATE = `${BASE}gateway/state`;
const PRESENT = `${BASE}pos/till-1/present`;
const CARDS = `${BASE}pos/till-1/cards`;

interface Floor {
  readonly gateway: GatewayProcess;
  readonly till: Watch;
  readonly proxy: TcpProxy;
  broker: RunningMosquitto;
}

const isCardFor = (memberId: string) => (payload: string) => payload.includes('"type":"card"') && payload.includes(`"memberId":"${memberId}"`);
const lists = (memberId: string) => (payload: string) => payload.includes(`"memberId":"${memberId}"`);

/** What came back after an outage that ended at `since`: state, the present list, and the unexpired card (same cardId). */
async function afterOutage(floor: Floor, since: number, memberId: string, cardId: string) {
  const online = await floor.till.wait('gateway/state online', STATE, since, 15_000, (p) => p === 'online').catch(() => undefined);
  const present = await floor.till.wait('the present list', PRESENT, since, 8_000, lists(memberId)).catch(() => undefined);
  // A card is published once, when the member starts dwelling; give it as long as the list took, and a second.
  await sleep(1_000);
  const card = floor.till.first(CARDS, since, (p) => isCardFor(memberId)(p) && p.includes(`"cardId":"${cardId}"`));
  return { reconnectMs: online === undefined ? undefined : online.at - since, presentMs: present === undefined ? undefined : present.at - since, cardAgain: card !== undefined };
}

function recovered(back: Awaited<ReturnType<typeof afterOutage>>): boolean {
  return back.reconnectMs !== undefined && back.reconnectMs <= RECONNECT_LIMIT_MS && back.presentMs !== undefined && back.cardAgain;
}

const ms = (value: number | undefined) => (value === undefined ? 'never' : `${(value / 1000).toFixed(2)} s`);

export const brokerOutages: Part = {
  id: '2',
  title: 'broker restart and network loss',
  async run(mode) {
    const rows: Row[] = [];
    const dir = join(mode.dir, 'broker-outages');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const broker = await startMosquitto(port);
    if (broker === undefined) throw new Error('Mosquitto is not installed (apt-get install mosquitto)');
    const proxy = new TcpProxy({ host: '127.0.0.1', port });
    const proxyPort = await proxy.start();
    const gateway = await startGatewayProcess({ configFile: writeStoreConfig(dir), env: { VITRIN_DATA__DIR: join(dir, 'data') }, httpPort: await freePort(), mqtt: `mqtt://127.0.0.1:${proxyPort}` });
    const till = await Watch.open(broker.url, [STATE, PRESENT, CARDS], { clientId: 'pos.till-1' });
    const floor: Floor = { gateway, till, proxy, broker };
    const phones = mqtt.connect(broker.url, { clientId: 'receiver.rx-pos-1', reconnectPeriod: 100 });
    phones.on('error', () => undefined);
    const people = carded(300, 3);
    const [alice, bob, carol] = [people[0]!, people[1]!, people[2]!];
    const leaving: (() => void)[] = [];
    try {
      leaving.push(standAt(phones, alice, 'rx-pos-1'));
      const first = await till.wait(`a card for ${alice.id}`, CARDS, 0, 10_000, isCardFor(alice.id));
      const aliceCard = (JSON.parse(first.payload) as { cardId: string }).cardId;

      rows.push(
        await timed('2a', 'broker restart', `Mosquitto (no persistence: retained messages and sessions lost) stopped for 1 s and started again on its port while ${alice.id} has a card on till-1; the till reconnects with a clean session. Limit: back within ${RECONNECT_LIMIT_MS / 1000} s with state, present list and the unexpired card`, async () => {
          await floor.broker.stop();
          await sleep(1_000);
          floor.broker = (await startMosquitto(port))!;
          const up = Date.now();
          const back = await afterOutage(floor, up, alice.id, aliceCard);
          const ok = recovered(back);
          return {
            happened: `back online (retained gateway/state) ${ms(back.reconnectMs)} after the broker was up; till-1's present list with ${alice.id} republished after ${ms(back.presentMs)}; her unexpired card ${back.cardAgain ? 'sent again (same cardId)' : 'not sent again'}`,
            status: verdict(ok),
          };
        }),
      );

      rows.push(
        await timed('2b', 'network loss (connections reset)', `the link gateway ↔ broker cut for 3 s (every connection reset, new ones refused), then back`, async () => {
          proxy.cut();
          await sleep(3_000);
          const healed = Date.now();
          proxy.heal();
          const back = await afterOutage(floor, healed, alice.id, aliceCard);
          return { happened: `online again ${ms(back.reconnectMs)} after the link was back; present list republished after ${ms(back.presentMs)}; ${alice.id}'s unexpired card ${back.cardAgain ? 'sent again' : 'not sent again'}`, status: verdict(recovered(back)) };
        }),
      );

      rows.push(
        await timed('2c', 'network loss (silent link)', `the link holds every byte for 5 s without closing (a pulled cable); ${bob.id} comes to till-1 during it`, async () => {
          const started = Date.now();
          proxy.blackhole();
          leaving.push(standAt(phones, bob, 'rx-pos-1'));
          await sleep(5_000);
          const healed = Date.now();
          proxy.heal();
          const card = await till.wait(`a card for ${bob.id}`, CARDS, started, 10_000, isCardFor(bob.id)).catch(() => undefined);
          const offline = till.first(STATE, started, (p) => p === 'offline');
          const ok = card !== undefined && card.at - healed <= RECONNECT_LIMIT_MS;
          return {
            happened: `${offline === undefined ? 'the connection survived (no last will)' : 'the broker published the last will'}; ${bob.id}'s card on till-1 ${card === undefined ? 'never came' : `${ms(card.at - healed)} after the link was back`}`,
            status: verdict(ok),
          };
        }),
      );

      if (mode.soak) {
        rows.push(
          await timed('2d', 'network loss longer than the keepalive', `the link silent for 100 s (MQTT keepalive 60 s); ${carol.id} comes to till-1 during it`, async () => {
            const started = Date.now();
            proxy.blackhole();
            leaving.push(standAt(phones, carol, 'rx-pos-1'));
            await sleep(100_000);
            const healed = Date.now();
            proxy.heal();
            const online = await till.wait('online', STATE, healed, 15_000, (p) => p === 'online').catch(() => undefined);
            const card = await till.wait(`a card for ${carol.id}`, CARDS, started, 15_000, isCardFor(carol.id)).catch(() => undefined);
            const ok = online !== undefined && online.at - healed <= RECONNECT_LIMIT_MS && card !== undefined;
            return { happened: `online again ${ms(online === undefined ? undefined : online.at - healed)} after the link was back; ${carol.id}'s card ${card === undefined ? 'never came' : `after ${ms(card.at - healed)}`}`, status: verdict(ok) };
          }),
        );
      }

      const alive = gateway.alive();
      if (!alive) rows.push({ id: '2', check: 'gateway alive', tried: 'after the outages', happened: `the gateway exited: ${gateway.output().slice(-500)}`, status: 'fail', seconds: 0 });
    } finally {
      for (const leave of leaving) leave();
      phones.end(true);
      await till.close();
      await gateway.stop();
      await proxy.stop();
      await floor.broker.stop();
    }
    return rows;
  },
};
