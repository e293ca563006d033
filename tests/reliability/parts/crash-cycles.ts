import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Card } from '../../../gateway/contracts/card.js';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import { freePort } from '../../support/free-port.js';
import { startMosquitto } from '../../support/mosquitto.js';
import type { Go, Ready } from '../children/feedback-path.js';
import { count, timed, verdict, type Mode, type Part, type Row } from '../report.js';
import { checkDatabase, FeedbackLoad, missing, type LoadOutcome } from '../support/feedback-load.js';
import { sleep, startGatewayProcess, startProcess, until, type ServiceProcess } from '../support/processes.js';
import { BASE, cardsOn, carded, standAt, STORE_ID, writeStoreConfig } from '../support/store-floor.js';
import { pairTablet } from '../support/tablet.js';

// Item 1: kill -9 at random moments under load, then the database is opened as the
// next start would open it, `PRAGMA integrity_check` must answer ok, and every piece of
// feedback that was acknowledged must be in it.
//
// "Acknowledged" for a tablet is the HTTP 200 to POST /advisor/feedback: the gateway
// answers only after the event is committed. For a till it is the MQTT PUBACK, which
// comes from the broker: with Mosquitto the gateway's kept session makes the broker
// hand over, at the next start, what the killed gateway had not taken; the embedded
// broker lives and dies in the gateway's process, so it sends the PUBACK only once the
// gateway has committed the message. Each is counted on its own row.

const FEEDBACK_CHILD = join(import.meta.dirname, '..', 'children', 'feedback-path.js');

interface Tally {
  cycles: number;
  killedDuringLoad: number;
  killedAtStart: number;
  integrityFailures: string[];
  httpAcked: number;
  httpLost: string[];
  mqttAcked: number;
  mqttLost: number;
  /** Every till message PUBACKed so far (1a: checked after the last start has drained the session). */
  mqttEverAcked: Set<string>;
  stored: number;
}

const newTally = (): Tally => ({ cycles: 0, killedDuringLoad: 0, killedAtStart: 0, integrityFailures: [], httpAcked: 0, httpLost: [], mqttAcked: 0, mqttLost: 0, mqttEverAcked: new Set(), stored: 0 });

function crashCard(): Card {
  const now = Date.now();
  return {
    schema: 'vitrin.card/1',
    type: 'card',
    cardId: 'crash-card',
    storeId: STORE_ID,
    memberId: 'm-crash',
    tier: 'gold',
    segments: [],
    presence: { zoneId: 'pos-1', zoneName: 'Till 1', since: new Date(now).toISOString(), dwellSeconds: 1 },
    suggestions: [],
    offers: [],
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 86_400_000).toISOString(),
  };
}

/** A feedback-path child with its modules loaded, waiting for `go`. */
function warmChild(): Promise<ServiceProcess> {
  const loading = loadChild();
  // Awaited in the next cycle; until then a failure must not count as unhandled.
  loading.catch(() => undefined);
  return loading;
}

async function loadChild(): Promise<ServiceProcess> {
  const child = startProcess([FEEDBACK_CHILD], { PATH: process.env.PATH ?? '/usr/bin:/bin' }, { ipc: true });
  await new Promise<void>((resolve, reject) => {
    child.child.once('message', () => resolve());
    void child.exited.then((code) => reject(new Error(`feedback child exited (${code}) while loading: ${child.output().slice(-1000)}`)));
  });
  return child;
}

function go(child: ServiceProcess, message: Go): Promise<Ready> {
  return new Promise((resolve, reject) => {
    child.child.on('message', (reply: { ready?: Ready; failed?: string }) => {
      if (reply.ready !== undefined) resolve(reply.ready);
      if (reply.failed !== undefined) reject(new Error(`feedback child failed to start: ${reply.failed}`));
    });
    void child.exited.then((code) => reject(new Error(`killed before ready (${code})`)));
    child.child.send({ go: message });
  });
}

function settle(tally: Tally, outcome: LoadOutcome, dbFile: string, everAcked: Set<string>): void {
  const check = checkDatabase(dbFile);
  tally.cycles++;
  if (check.integrity !== 'ok') tally.integrityFailures.push(`cycle ${tally.cycles}: ${check.integrity}`);
  for (const reason of outcome.httpAcked) everAcked.add(reason);
  tally.httpAcked += outcome.httpAcked.length;
  // Every tablet acknowledgement so far, not only this cycle's: a later crash must not take back an earlier commit.
  tally.httpLost = missing(everAcked, check.reasons);
  tally.mqttAcked += outcome.mqttAcked.length;
  for (const reason of outcome.mqttAcked) tally.mqttEverAcked.add(reason);
  tally.mqttLost = missing(tally.mqttEverAcked, check.reasons).length;
  tally.stored = check.reasons.size;
}

/** 1a: the feedback path alone, a fresh process per cycle, against Mosquitto. */
async function feedbackPathCycles(mode: Mode, cycles: number, random: () => number, tally: Tally): Promise<void> {
  const broker = await startMosquitto();
  if (broker === undefined) throw new Error('Mosquitto is not installed (apt-get install mosquitto)');
  const dataDir = join(mode.dir, 'crash-feedback-path');
  mkdirSync(dataDir, { recursive: true });
  const dbFile = join(dataDir, 'vitrin.db');
  const till = await mqtt.connectAsync(broker.url, { clientId: 'pos.till-1', reconnectPeriod: 0 });
  const card = crashCard();
  const everAcked = new Set<string>();
  let token = '';
  let warm = warmChild();
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const child = await warm;
      // The next cycle's process loads its modules while this one is under load.
      warm = warmChild();
      const atStart = cycle > 1 && random() < 0.15;
      const message: Go = { dataDir, mqttUrl: broker.url, storeId: STORE_ID, card, terminal: 'till-1', pair: token === '' };
      let outcome: LoadOutcome = { httpAcked: [], httpSent: 0, httpOther: new Map(), mqttAcked: [], mqttSent: 0 };
      if (atStart) {
        // While it opens the database (WAL replay, migrations) and connects.
        const started = go(child, message).catch(() => undefined);
        await sleep(random() * 40);
        await child.kill9();
        await started;
        tally.killedAtStart++;
      } else {
        const ready = await go(child, message);
        token = ready.token ?? token;
        const load = new FeedbackLoad({ httpUrl: ready.httpUrl, token, cardId: card.cardId, till: { client: till, topic: `${BASE}pos/till-1/feedback` } }, `a${cycle}`);
        load.start();
        await sleep(20 + random() * 280);
        load.stopTill();
        await child.kill9();
        outcome = await load.stop();
        tally.killedDuringLoad++;
      }
      settle(tally, outcome, dbFile, everAcked);
      // What Mosquitto still holds for the gateway's session arrives with the next start, so a till message counts as lost only at the end.
      if (cycle % 25 === 0) mode.progress(`1a: ${cycle} kills, ${count(tally.httpAcked)} tablet acknowledgements, ${tally.httpLost.length} lost`);
    }
    // One more start, left alone, takes what the session held when the last process was killed.
    const last = await warm;
    warm = warmChild();
    await go(last, { dataDir, mqttUrl: broker.url, storeId: STORE_ID, card, terminal: 'till-1', pair: false });
    await until('the kept session to drain', 10_000, () => (missing(tally.mqttEverAcked, checkDatabase(dbFile).reasons).length === 0 ? true : undefined)).catch(() => undefined);
    await last.kill9();
    tally.mqttLost = missing(tally.mqttEverAcked, checkDatabase(dbFile).reasons).length;
  } finally {
    await (await warm).kill9();
    await till.endAsync(true);
    await broker.stop();
  }
}

/** 1b: the whole service (`vitrin start`, embedded broker), a card made by a member at the till each cycle. */
async function wholeGatewayCycles(mode: Mode, cycles: number, random: () => number, tally: Tally): Promise<void> {
  const dir = join(mode.dir, 'crash-gateway');
  mkdirSync(dir, { recursive: true });
  const configFile = writeStoreConfig(dir);
  const dataDir = join(dir, 'data');
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const everAcked = new Set<string>();
  let token = '';
  const shoppers = carded(100, cycles);
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const gateway = await startGatewayProcess({ configFile, env: { VITRIN_DATA__DIR: dataDir }, httpPort, mqtt: mqttPort });
    let till: MqttClient | undefined;
    try {
      if (token === '') token = await pairTablet(gateway.httpUrl, ['pos-1']);
      till = await mqtt.connectAsync(gateway.mqttUrl, { clientId: 'pos.till-1', reconnectPeriod: 0 });
      till.on('error', () => undefined);
      const cards = cardsOn(till, 'till-1');
      await till.subscribeAsync(`${BASE}pos/till-1/cards`, { qos: 1 });
      const member = shoppers[cycle - 1]!;
      // The member's phone, as a remote receiver at the till hears it (no logins on this store: one client will do).
      const leave = standAt(till, member, 'rx-pos-1');
      const card = await until(`a card for ${member.id}`, 10_000, () => cards.get(member.id));
      const load = new FeedbackLoad({ httpUrl: gateway.httpUrl, token, cardId: card.cardId, till: { client: till, topic: `${BASE}pos/till-1/feedback` } }, `b${cycle}`);
      load.start();
      await sleep(50 + random() * 450);
      load.stopTill();
      await gateway.kill9();
      leave();
      const outcome = await load.stop();
      tally.killedDuringLoad++;
      settle(tally, outcome, join(dataDir, 'vitrin.db'), everAcked);
    } finally {
      await gateway.kill9();
      till?.end(true);
    }
  }
}

function describe(tally: Tally, what: string): { happened: string; ok: boolean } {
  const ok = tally.integrityFailures.length === 0 && tally.httpLost.length === 0 && tally.cycles > 0;
  const parts = [
    `${tally.cycles} kills (${tally.killedDuringLoad} under load${tally.killedAtStart > 0 ? `, ${tally.killedAtStart} while opening` : ''})`,
    `integrity_check ok ${tally.cycles - tally.integrityFailures.length}/${tally.cycles}`,
    `${count(tally.httpAcked)} ${what} acknowledged, ${tally.httpLost.length} lost`,
    `${count(tally.stored)} feedback events on disk`,
  ];
  if (tally.integrityFailures.length > 0) parts.push(`integrity: ${tally.integrityFailures.slice(0, 2).join('; ')}`);
  if (tally.httpLost.length > 0) parts.push(`lost: ${tally.httpLost.slice(0, 5).join(', ')}`);
  return { happened: parts.join('; '), ok };
}

export const crashCycles: Part = {
  id: '1',
  title: 'kill -9 under load',
  async run(mode) {
    const seed = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const light = newTally();
    const whole = newTally();
    const rows: Row[] = [];
    const lightCycles = mode.soak ? 500 : 100;
    const wholeCycles = mode.soak ? 50 : 10;
    rows.push(
      await timed(
        '1a',
        'kill -9 of the feedback path',
        `${lightCycles} cycles (seed ${seed}): a fresh process with the gateway's feedback path (SqliteEventStore, FeedbackIntake, HTTP app, MqttBus to Mosquitto) under tablet and till feedback, SIGKILL at a random moment (15% while opening the database); then integrity_check and every tablet feedback answered 200 looked up. Acknowledged = HTTP 200 to POST /advisor/feedback`,
        async () => {
          await feedbackPathCycles(mode, lightCycles, random, light);
          const { happened, ok } = describe(light, 'tablet feedback');
          return { happened, status: verdict(ok) };
        },
      ),
    );
    rows.push(
      await timed(
        '1b',
        'kill -9 of the whole gateway',
        `${wholeCycles} cycles: \`vitrin start\` (embedded broker, demo roster), a member at till-1 gets a card, then tablet and till feedback about it, SIGKILL at a random moment; same checks. Acknowledged = HTTP 200`,
        async () => {
          await wholeGatewayCycles(mode, wholeCycles, random, whole);
          const { happened, ok } = describe(whole, 'tablet feedback');
          return { happened, status: verdict(ok) };
        },
      ),
    );
    rows.push({
      id: '1c',
      check: 'till feedback acknowledged by Mosquitto',
      tried: "1a's kills; the till publishes QoS 1 feedback and counts a message acknowledged when Mosquitto's PUBACK arrives; the gateway keeps its session (clean session off), and one last start drains it",
      happened: `${count(light.mqttAcked)} PUBACKs, ${count(light.mqttLost)} of those messages not on disk after the last start`,
      status: light.mqttAcked > 0 && light.mqttLost === 0 ? 'pass' : 'fail',
      seconds: 0,
    });
    rows.push({
      id: '1d',
      check: 'till feedback acknowledged by the embedded broker',
      tried: "1b's kills; the till counts a message acknowledged when the embedded broker's PUBACK arrives, which it sends only after the gateway has committed the message",
      happened: `${count(whole.mqttAcked)} PUBACKs, ${count(whole.mqttLost)} of those messages not on disk`,
      status: whole.mqttAcked > 0 && whole.mqttLost === 0 ? 'pass' : 'fail',
      seconds: 0,
    });
    return rows;
  },
};
