import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import { freePort } from '../../support/free-port.js';
import { count, timed, verdict, type Mode, type Row, type Status } from '../report.js';
import { hostileOp, hostilePayload, pick, type Random } from '../support/fuzz.js';
import { httpCase, send, type HttpAnswer } from '../support/http-fuzz.js';
import { crashSigns, sleep, startGatewayProcess, until, type GatewayProcess } from '../support/processes.js';
import { BASE, carded, standAt, writeStoreConfig } from '../support/store-floor.js';
import { pairTablet } from '../support/tablet.js';
import { Watch } from '../support/watch.js';

// Item 6, the network half: hostile MQTT feedback and requests through the embedded
// broker into the running service, then malformed HTTP against it. Every MQTT message
// must be answered (pos/<terminal>/errors or gateway/response/<op>) with a code; every
// HTTP request with a 4xx (a 5xx or a dropped connection counts as a failure). At the
// end the service must still be up and still put a card on a till.

const ADMIN_TOKEN = 'reliability-admin-token';
const TERMINALS = ['till-1', 'till-2', 'ghost', 'x'.repeat(100), 'é'];
/** Messages sent and not yet answered, at most: the suite paces itself on the gateway's answers. */
const WINDOW = 500;

function tally(items: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

const show = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} ${count(n)}`)
    .join(', ');

/** The gateway answers every request; a model reload it would really run (seconds of work) is only ever sent broken. */
function requestPayload(random: Random, op: string): Buffer {
  const payload = hostilePayload(random, 'request');
  if (op !== 'model-reload') return payload;
  return Buffer.concat([payload, Buffer.from(' trailing junk')]);
}

async function mqttFuzz(gateway: GatewayProcess, random: Random, messages: number): Promise<{ happened: string; ok: boolean }> {
  const watch = await Watch.open(gateway.mqttUrl, [`${BASE}pos/+/errors`, `${BASE}gateway/response/+`], { clientId: 'fuzz-observer' });
  const answered = () => watch.seen.length;
  const started = Date.now();
  let sent = 0;
  try {
    for (let i = 0; i < messages; i++) {
      if (sent - answered() >= WINDOW) await until('answers', 5_000, () => (sent - answered() < WINDOW / 2 ? true : undefined), 2).catch(() => undefined);
      const feedback = i % 2 === 0;
      const op = hostileOp(random);
      const topic = feedback ? `${BASE}pos/${pick(random, TERMINALS)}/feedback` : `${BASE}gateway/request/${op}`;
      watch.client.publish(topic, feedback ? hostilePayload(random, 'feedback') : requestPayload(random, op), { qos: 0 });
      sent++;
    }
    await until('the last answers', 20_000, () => (answered() >= sent ? true : undefined), 20).catch(() => undefined);
  } finally {
    await watch.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const codes = tally(
    watch.seen.map((m) => {
      try {
        const body = JSON.parse(m.payload) as { code?: string; status?: string; error?: { code?: string } };
        return body.code ?? body.error?.code ?? (body.status === 'ok' ? 'ok (a valid request)' : 'no code');
      } catch {
        return 'not JSON';
      }
    }),
  );
  const uncoded = (codes.get('no code') ?? 0) + (codes.get('not JSON') ?? 0);
  return {
    happened: `${count(sent)} sent in ${seconds.toFixed(0)} s, ${count(answered())} answered: ${show(codes)}`,
    ok: answered() === sent && uncoded === 0,
  };
}

async function httpFuzz(gateway: GatewayProcess, random: Random, requests: number, tablet: string): Promise<{ happened: string; status: Status }> {
  const port = Number(new URL(gateway.httpUrl).port);
  const statuses: string[] = [];
  const codes: string[] = [];
  const bad: string[] = [];
  const uncoded: string[] = [];
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < requests) {
      next++;
      const request = httpCase(random, { tablet, admin: ADMIN_TOKEN });
      const answer: HttpAnswer = await send(gateway.httpUrl, port, request);
      statuses.push(String(answer.status));
      if (answer.code !== undefined) codes.push(answer.code);
      const raw = request.raw !== undefined;
      // A socket closed on bytes that are not HTTP is a refusal too; an HTTP client's request must be answered.
      if (answer.status === 'no answer' ? !raw : answer.status >= 500 || answer.status < 400) bad.push(`${request.kind} → ${answer.status}`);
      else if (answer.code === undefined) uncoded.push(`${answer.status} to ${request.kind}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const seconds = (Date.now() - started) / 1000;
  return {
    happened: `${count(requests)} requests in ${seconds.toFixed(0)} s: status ${show(tally(statuses))}; with a code: ${show(tally(codes))}; refused without a code: ${uncoded.length === 0 ? 'none' : show(tally(uncoded))}${bad.length > 0 ? `; NOT REFUSED: ${show(tally(bad))}` : ''}`,
    status: bad.length > 0 || uncoded.length > 0 ? 'fail' : 'pass',
  };
}

/** After the fuzz: alive, /healthz, no crash in the log, and a member at the till still gets a card. */
async function stillServing(gateway: GatewayProcess, memberIndex: number): Promise<{ happened: string; ok: boolean }> {
  const healthz = await fetch(`${gateway.httpUrl}/healthz`).then((r) => r.status, () => 0);
  const till = await Watch.open(gateway.mqttUrl, [`${BASE}pos/till-1/cards`], { clientId: 'after-fuzz' });
  const member = carded(memberIndex, 1)[0]!;
  const leave = standAt(till.client, member, 'rx-pos-1');
  const card = await till.wait('a card', `${BASE}pos/till-1/cards`, 0, 10_000, (p) => p.includes(member.id)).catch(() => undefined);
  leave();
  await till.close();
  const signs = crashSigns(gateway.output());
  const ok = gateway.alive() && healthz === 200 && card !== undefined && signs.length === 0;
  return { happened: `afterwards: process ${gateway.alive() ? 'up' : 'GONE'}, /healthz ${healthz}, a card for ${member.id} ${card === undefined ? 'NOT shown' : 'shown'} on till-1, crash signs in the log: ${signs.length === 0 ? 'none' : signs.join(', ')}`, ok };
}

export async function hostileNetwork(mode: Mode, seed: number): Promise<Row[]> {
  const dir = join(mode.dir, 'hostile-network');
  mkdirSync(dir, { recursive: true });
  const random = seededRandom(seed);
  const messages = mode.soak ? 1_000_000 : 100_000;
  const requests = mode.soak ? 100_000 : 10_000;
  const gateway = await startGatewayProcess({ configFile: writeStoreConfig(dir), env: { VITRIN_DATA__DIR: join(dir, 'data'), VITRIN_HTTP__ADMINTOKEN: ADMIN_TOKEN }, httpPort: await freePort(), mqtt: await freePort() });
  const rows: Row[] = [];
  try {
    const tablet = await pairTablet(gateway.httpUrl, ['pos-1'], ADMIN_TOKEN);
    rows.push(
      await timed('6a', 'hostile MQTT payloads', `${count(messages)} fuzzed payloads (seed ${seed}), half feedback on pos/<terminal>/feedback for 5 terminal ids (2 unknown), half requests on gateway/request/<op> for 14 op names, through the embedded broker into \`vitrin start\`: bytes that are not UTF-8, cut-off JSON, every JSON type, near-valid objects with wrong fields, prototype keys, 5,000-deep nesting`, async () => {
        const { happened, ok } = await mqttFuzz(gateway, random, messages);
        return { happened, status: verdict(ok) };
      }),
    );
    rows.push(
      await timed('6b', 'malformed HTTP', `${count(requests)} requests (same seed), 8 at a time: hostile JSON to /advisor/feedback (with a paired tablet's cookie), /advisor/pair and the admin API (with its token), forged and missing credentials, wrong content types, 100 KB bodies, methods and paths no route has, header junk and non-HTTP bytes over raw sockets`, async () => {
        return httpFuzz(gateway, random, requests, tablet);
      }),
    );
    rows.push(
      await timed('6', 'still serving after 6a and 6b', 'the same process: /healthz, its log, and a member at till-1', async () => {
        await sleep(200);
        const { happened, ok } = await stillServing(gateway, 500);
        return { happened, status: verdict(ok) };
      }),
    );
  } finally {
    await gateway.stop();
  }
  return rows;
}
