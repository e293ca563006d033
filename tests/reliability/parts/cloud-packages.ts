import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import { freePort } from '../../support/free-port.js';
import { count, timed, type Mode, type Row } from '../report.js';
import { catalogBody, FakeCloud, hostilePackage, newSigner, signed } from '../support/fake-cloud.js';
import { crashSigns, sleep, startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { BASE, STORE_ID, writeStoreConfig } from '../support/store-floor.js';
import { Watch } from '../support/watch.js';

// Item 6, cloud packages: the running service polls a cloud of the test's own (the sync
// protocol's HTTP contract) that serves hostile package lists: bad signatures, replays,
// downgrades, another store's packages, broken fields, things that are not packages,
// and lists that are not lists. The downlink also polls every second by itself, so a
// failure outside a request would show too. Only the two good packages may be taken.

interface Outcome {
  readonly kind: string;
  readonly version: number;
  readonly status: 'applied' | 'refused';
  readonly code?: string;
  readonly reason?: string;
}

interface SyncAnswer {
  readonly status: string;
  readonly data?: { readonly downlink?: { readonly packages?: readonly Outcome[]; readonly error?: { readonly code: string } } };
  readonly error?: { readonly code: string; readonly message?: string };
}

function tally(items: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} ${count(n)}`)
    .join(', ');
}

async function requestSync(watch: Watch, n: number): Promise<SyncAnswer | undefined> {
  const transaction = `sync-${n}`;
  const since = Date.now();
  await watch.client.publishAsync(`${BASE}gateway/request/sync`, JSON.stringify({ transaction }), { qos: 1 });
  const answer = await watch.wait('the sync answer', `${BASE}gateway/response/sync`, since, 30_000, (p) => p.includes(`"transaction":"${transaction}"`)).catch(() => undefined);
  return answer === undefined ? undefined : (JSON.parse(answer.payload) as SyncAnswer);
}

/** The catalog version the gateway has taken, from /admin/status (this store floor sets no admin token). */
async function catalogVersion(httpUrl: string): Promise<{ version: number; status: string } | undefined> {
  const status = (await fetch(`${httpUrl}/admin/status`)
    .then((r) => r.json())
    .catch(() => ({}))) as { sync?: { downlink?: { versions?: { catalog?: { version: number; status: string } } } } };
  return status.sync?.downlink?.versions?.catalog;
}

/**
 * Whether a sync request saw `version` applied. The downlink's own poll (every second) may
 * take a list just before the request does, which then finds nothing new: the version
 * the gateway holds tells.
 */
async function tookVersion(answer: SyncAnswer | undefined, version: number, httpUrl: string): Promise<string> {
  if ((answer?.data?.downlink?.packages ?? []).some((o) => o.version === version && o.status === 'applied')) return 'applied';
  const held = await catalogVersion(httpUrl);
  if (held?.version === version && held.status === 'applied') return "applied (by the downlink's own poll, just before the request)";
  return `NOT applied (catalog at ${held === undefined ? '?' : `v${held.version} ${held.status}`})`;
}

export async function cloudPackages(mode: Mode, seed: number): Promise<Row> {
  const tried = 'the running service polling a cloud of the test’s own (GET /v1/stores/<id>/packages, gateway/request/sync, and its own poll every second): hostile packages 100 to a list, then lists that are not lists; a good catalog package before and after';
  if (!existsSync(join(PACKAGE_ROOT, 'dist', 'gateway', 'sync', 'downlink.js'))) {
    return { id: '6e', check: 'cloud packages', tried, happened: 'not run: sync not in this build', status: 'not run', seconds: 0 };
  }
  return timed('6e', 'cloud packages', tried, async () => {
    const dir = join(mode.dir, 'cloud-packages');
    mkdirSync(dir, { recursive: true });
    const random = seededRandom(seed);
    const signer = newSigner();
    const other = newSigner();
    const cloud = new FakeCloud();
    const url = await cloud.start();
    const cloudYaml = `cloud: { url: "${url}", token: reliability, signingPublicKeys: ["${signer.publicBase64}"], downlinkCron: "* * * * * *", uplinkCron: "*/2 * * * * *" }\n`;
    let gateway: GatewayProcess | undefined;
    let watch: Watch | undefined;
    try {
      gateway = await startGatewayProcess({ configFile: writeStoreConfig(dir, cloudYaml), env: { VITRIN_DATA__DIR: join(dir, 'data') }, httpPort: await freePort(), mqtt: await freePort() });
      watch = await Watch.open(gateway.mqttUrl, [`${BASE}gateway/response/sync`], { clientId: 'cloud-fuzz' });
      let current = 5;
      cloud.list([signed(signer, 'catalog', STORE_ID, current, catalogBody('first'))]);
      const first = await requestSync(watch, 0);
      const firstTaken = await tookVersion(first, current, gateway.httpUrl);
      const outcomes: Outcome[] = [];
      const answers: string[] = [];
      const junkAnswers: string[] = [];
      const rounds = mode.soak ? 100 : 10;
      let sent = 0;
      let highest = current;
      for (let round = 1; round <= rounds; round++) {
        const made = Array.from({ length: 100 }, () => hostilePackage(random, signer, other, STORE_ID, current));
        highest = Math.max(highest, ...made.map((m) => m.version));
        const packages = made.map((m) => m.value);
        sent += packages.length;
        cloud.list(packages);
        const answer = await requestSync(watch, round);
        answers.push(answer === undefined ? 'no answer' : answer.status === 'ok' ? 'ok' : `error ${answer.error?.code ?? ''}`);
        outcomes.push(...(answer?.data?.downlink?.packages ?? []));
        current = Math.max(current, ...outcomes.filter((o) => o.status === 'applied').map((o) => o.version));
      }
      // Lists that are not lists: each poll must fail with a code and leave the versions alone.
      const listJunk: { status: number; body: string | Buffer }[] = [
        { status: 200, body: 'not json' },
        { status: 200, body: '{"schema":"vitrin.package-list/9","packages":[]}' },
        { status: 200, body: '{"schema":"vitrin.package-list/1","packages":"all"}' },
        { status: 200, body: '[]' },
        { status: 200, body: 'null' },
        { status: 200, body: Buffer.alloc(3_000_000, 0x7b) },
        { status: 500, body: '' },
        { status: 401, body: '' },
      ];
      for (const [i, junk] of listJunk.entries()) {
        cloud.answer = junk;
        const answer = await requestSync(watch, 1_000 + i);
        const downlinkError = answer?.data?.downlink?.error?.code;
        junkAnswers.push(answer === undefined ? 'no answer' : answer.status !== 'ok' ? `error ${answer.error?.code ?? ''}` : downlinkError === undefined ? 'ok without a downlink error' : `ok, downlink error ${downlinkError}`);
      }
      // A null among the packages, with a good one after it.
      const blocked = highest + 1;
      cloud.list([null, signed(signer, 'catalog', STORE_ID, blocked, catalogBody('behind a null'))]);
      const nullAnswer = await requestSync(watch, 3_000);
      const behindNull = await tookVersion(nullAnswer, blocked, gateway.httpUrl);
      const behindNullTaken = behindNull.startsWith('applied');
      const nullOutcome =
        nullAnswer === undefined ? 'no answer' : nullAnswer.status === 'ok' ? `ok, v${blocked} ${behindNull}` : `error ${nullAnswer.error?.code ?? ''} ("${nullAnswer.error?.message ?? ''}"), v${blocked} not taken`;
      // The downlink's own schedule meets the last list too.
      await sleep(1_500);
      const good = blocked + 1;
      const last = signed(signer, 'catalog', STORE_ID, good, catalogBody('after'));
      cloud.list([last]);
      const final = await requestSync(watch, 2_000);
      const finalTaken = await tookVersion(final, good, gateway.httpUrl);
      const hostileApplied = outcomes.filter((o) => o.status === 'applied');
      const healthz = await fetch(`${gateway.httpUrl}/healthz`).then((r) => r.status, () => 0);
      const signs = crashSigns(gateway.output());
      const alive = gateway.alive() && healthz === 200;
      const goodTaken = firstTaken.startsWith('applied') && finalTaken.startsWith('applied');
      const happened = [
        `${count(sent)} hostile packages in ${rounds} lists: ${count(outcomes.filter((o) => o.status === 'refused').length)} refused (${tally(outcomes.map((o) => `${o.code ?? '?'}/${o.reason ?? '?'}`))}), ${hostileApplied.length} applied`,
        `sync requests on those lists answered ${tally(answers)}`,
        `a list of [null, a good package]: ${nullOutcome}`,
        `${listJunk.length} lists that are not lists (not JSON, another schema, packages not a list, 3 MB, 500, 401): answered ${tally(junkAnswers)}`,
        `${cloud.polls} polls in all (with its own every second)`,
        `good packages: v5 ${firstTaken}, v${good} ${finalTaken}; their sync requests answered ${[first, final].map((a) => a?.status ?? 'no answer').join(' and ')}`,
        `process ${alive ? 'up' : 'DOWN'} (/healthz ${healthz}); crash signs in the log: ${signs.length === 0 ? 'none' : signs.join(', ')}`,
      ];
      const everyAnswer = [...answers, ...junkAnswers];
      // Each list that is not a list is answered with the downlink's error code (the request itself succeeded).
      const junkCoded = junkAnswers.every((a) => a.startsWith('ok, downlink error VITRIN_ERR_CLOUD_'));
      // The requests around the good packages must be answered ok too, whichever poll took them.
      const goodAnswersOk = [first, nullAnswer, final].every((a) => a?.status === 'ok');
      const ok = alive && signs.length === 0 && hostileApplied.length === 0 && goodTaken && behindNullTaken && goodAnswersOk && junkCoded && !everyAnswer.includes('no answer') && answers.every((a) => a === 'ok');
      return { happened: happened.join('; '), status: ok ? 'pass' : 'fail' };
    } finally {
      await watch?.close();
      await gateway?.stop();
      await cloud.stop();
    }
  });
}
