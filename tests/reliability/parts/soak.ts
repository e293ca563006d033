import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { freePort } from '../../support/free-port.js';
import { count, timed, verdict, type Mode, type Part } from '../report.js';
import { crashSigns, rssBytes, rssParts, sleep, startGatewayProcess, type GatewayProcess } from '../support/processes.js';
import { pairTablet } from '../support/tablet.js';
import { Watch } from '../support/watch.js';

// Item 8 (manual mode): an hour of a realistic store on the real service. The demo
// simulator walks members and strangers through the default store; the till answers
// every card as a POS would (shown, then accepted or purchased); a paired advisor
// tablet keeps its live page open and taps some cards; Prometheus scrapes, a monitor
// asks for readiness and health. RSS is read from /proc every minute. The first half
// hour is warm-up: the service's RSS grows while V8 compiles and sizes its heap and the
// allocator's thread arenas reach their working size (measured: +6 to +9 MB, then flat).
// The hour after it is measured: its least-squares slope must stay under 1 MB per hour.

const STORE = 'vitrin/demo-store/';
const LIMIT_MB_PER_HOUR = 1;

function numberOption(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  return index < 0 ? fallback : Number(args[index + 1] ?? fallback);
}

/** The measured part, after the warm-up. */
export function soakMinutes(args: readonly string[]): number {
  return numberOption(args, '--soak-minutes', 60);
}

export function warmupMinutes(args: readonly string[]): number {
  return numberOption(args, '--soak-warmup-minutes', 30);
}

/** MB per hour, least squares over (minutes, bytes). */
function slope(samples: readonly { minute: number; bytes: number }[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((s, p) => s + p.minute, 0) / n;
  const my = samples.reduce((s, p) => s + p.bytes, 0) / n;
  const sxy = samples.reduce((s, p) => s + (p.minute - mx) * (p.bytes - my), 0);
  const sxx = samples.reduce((s, p) => s + (p.minute - mx) ** 2, 0);
  return ((sxy / sxx) * 60) / 1024 / 1024;
}

/** Bytes on disk under the data folder: the database, its WAL and whatever else the service keeps. */
function folderBytes(dir: string): number {
  try {
    return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
  } catch {
    return 0;
  }
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** A till that answers every card the way a POS integration does. */
function till(watch: Watch, random: () => number): () => number {
  let answered = 0;
  watch.client.on('message', (topic, payload) => {
    if (!topic.endsWith('/cards')) return;
    const card = JSON.parse(payload.toString()) as { type: string; cardId: string; suggestions?: { id: string }[] };
    if (card.type !== 'card') return;
    const feedback = (body: object) => watch.client.publish(`${STORE}pos/till-1/feedback`, JSON.stringify({ cardId: card.cardId, ...body }), { qos: 1 });
    feedback({ action: 'shown' });
    setTimeout(() => {
      const suggestion = card.suggestions?.[0]?.id;
      feedback(random() < 0.3 ? { action: 'purchased', basket: { total: 100, currency: 'TRY' } } : { action: 'accepted', ...(suggestion === undefined ? {} : { suggestionId: suggestion }) });
      answered++;
    }, 2_000);
  });
  return () => answered;
}

/** The advisor page: the live stream open all along, a tap on some cards. */
async function tablet(gateway: GatewayProcess, token: string, random: () => number, stop: AbortSignal): Promise<{ events: number; taps: number }> {
  const tally = { events: 0, taps: 0 };
  const headers = { cookie: `vitrin_tablet=${token}`, 'content-type': 'application/json' };
  try {
    const response = await fetch(`${gateway.httpUrl}/advisor/events`, { headers, signal: stop });
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      const events = text.split('\n\n');
      text = events.pop() ?? '';
      for (const event of events) {
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (data === undefined || !event.includes('event: card')) continue;
        tally.events++;
        if (random() < 0.3) {
          const { card } = JSON.parse(data) as { card: { cardId: string } };
          tally.taps++;
          void fetch(`${gateway.httpUrl}/advisor/feedback`, { method: 'POST', headers, body: JSON.stringify({ cardId: card.cardId, action: 'accepted' }) }).catch(() => undefined);
        }
      }
    }
  } catch {
    // The stream ends when the soak does.
  }
  return tally;
}

export const soak: Part = {
  id: '8',
  title: 'soak',
  inSoakOnly: true,
  async run(mode: Mode) {
    const warm = warmupMinutes(process.argv);
    const minutes = warm + soakMinutes(process.argv);
    const tried = `${minutes} min of \`vitrin start\` on the default store with the simulator at 60 members (one every 15 s) among 150 other devices and no daily card cap, a till answering every card (shown, then accepted or purchased), a paired tablet with its live page open tapping 30% of cards, /metrics every 15 s, /readyz every 10 s, gateway/request/health every 30 s; RSS from /proc every minute; the first ${warm} min are warm-up, the ${minutes - warm} min after them are measured`;
    const row = await timed('8', 'soak', tried, async () => {
      const dir = join(mode.dir, 'soak');
      mkdirSync(dir, { recursive: true });
      const configFile = join(dir, 'store.yaml');
      // No daily card cap: with 60 members at the default of 4, the card path would go quiet after
      // about 240 cards, and a long run would measure a store that no longer shows any.
      writeFileSync(configFile, 'simulator: { members: 60, nonMembers: 150, arrivalEverySeconds: 15 }\ncards: { dailyCap: 0 }\n');
      // --expose-gc and the preload change nothing until SIGUSR2: a full collection halfway
      // through the warm-up (V8 has settled again by its end) and after the last sample, so
      // no sample of the measured minutes follows one. What V8 holds live after each tells
      // a leak from a heap not yet collected.
      const gateway = await startGatewayProcess({
        configFile,
        env: { VITRIN_DATA__DIR: join(dir, 'data') },
        httpPort: await freePort(),
        mqtt: await freePort(),
        nodeArgs: ['--expose-gc', '-r', join(PACKAGE_ROOT, 'tests', 'support', 'gc-on-signal.cjs')],
      });
      const afterFullGc = async (): Promise<{ rss: number; heapUsed: number }> => {
        process.kill(gateway.pid, 'SIGUSR2');
        await sleep(3_000);
        const text = await fetch(`${gateway.httpUrl}/metrics`).then((r) => r.text(), () => '');
        return { rss: rssBytes(gateway.pid) ?? 0, heapUsed: metric(text, 'vitrin_process_nodejs_heap_size_used_bytes') };
      };
      const random = seededRandom(8);
      const stop = new AbortController();
      const watch = await Watch.open(gateway.mqttUrl, [`${STORE}pos/till-1/cards`, `${STORE}gateway/response/health`], { clientId: 'pos.till-1' });
      const answered = till(watch, random);
      const token = await pairTablet(gateway.httpUrl, ['pos-1', 'floor']);
      const page = tablet(gateway, token, random, stop.signal);
      const timers = [
        setInterval(() => void fetch(`${gateway.httpUrl}/metrics`).then((r) => r.text(), () => ''), 15_000),
        setInterval(() => void fetch(`${gateway.httpUrl}/readyz`).then((r) => r.text(), () => ''), 10_000),
        setInterval(() => watch.client.publish(`${STORE}gateway/request/health`, JSON.stringify({ transaction: `soak-${Date.now()}` }), { qos: 1 }), 30_000),
      ];
      const samples: { minute: number; bytes: number }[] = [];
      // V8's committed heap beside RSS: it tells growth of the JavaScript heap (V8 settling
      // toward its next full collection, or a leak) from growth outside it.
      const heapTotals: number[] = [];
      // Anonymous against file-backed RSS, and the data folder's size: growth that follows
      // the database is page cache filling, growth in neither is the process's own.
      const parts: { anon: number; file: number; disk: number }[] = [];
      const collected: { rss: number; heapUsed: number }[] = [];
      try {
        for (let minute = 0; minute <= minutes; minute++) {
          if (minute > 0) await sleep(60_000);
          const bytes = rssBytes(gateway.pid);
          if (bytes === undefined) break;
          samples.push({ minute, bytes });
          const split = rssParts(gateway.pid);
          parts.push({ anon: split?.anon ?? 0, file: split?.file ?? 0, disk: folderBytes(join(dir, 'data')) });
          const text = await fetch(`${gateway.httpUrl}/metrics`).then((r) => r.text(), () => '');
          heapTotals.push(metric(text, 'vitrin_process_nodejs_heap_size_total_bytes'));
          if (minute % 5 === 0) mode.progress(`8: minute ${minute}, RSS ${(bytes / 1024 / 1024).toFixed(1)} MB, ${answered()} cards answered by the till`);
          if (minute === Math.floor(warm / 2) || minute === minutes) collected.push(await afterFullGc());
        }
      } finally {
        for (const timer of timers) clearInterval(timer);
        stop.abort();
      }
      const metrics = await fetch(`${gateway.httpUrl}/metrics`).then((r) => r.text(), () => '');
      const { events, taps } = await page;
      const alive = gateway.alive();
      const signs = crashSigns(gateway.output());
      await watch.close();
      await gateway.stop();
      const steady = samples.filter((s) => s.minute >= warm);
      const perHour = slope(steady);
      // The whole run's slope beside it, so a growth that only the warm-up hides is seen.
      const wholeRun = slope(samples);
      const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
      const happened = [
        `${samples.length} RSS samples: ${mb(samples[0]?.bytes ?? 0)} MB at start, ${mb(steady[0]?.bytes ?? 0)} MB after the warm-up, ${mb(samples.at(-1)?.bytes ?? 0)} MB at the end (min ${mb(Math.min(...steady.map((s) => s.bytes)))}, max ${mb(Math.max(...steady.map((s) => s.bytes)))})`,
        `slope after the warm-up ${perHour >= 0 ? '+' : ''}${perHour.toFixed(2)} MB/h (limit ${LIMIT_MB_PER_HOUR} MB/h; over the whole run, warm-up included, ${wholeRun >= 0 ? '+' : ''}${wholeRun.toFixed(2)} MB/h)`,
        `adverts ${count(metric(metrics, 'vitrin_advertisements_total{result="member"}'))} member, ${count(metric(metrics, 'vitrin_advertisements_total{result="stranger"}') + metric(metrics, 'vitrin_advertisements_total{result="other"}'))} other; cards shown ${count(metric(metrics, 'vitrin_cards_total{outcome="shown"}'))}; till answered ${answered()}; tablet saw ${events} cards and tapped ${taps}`,
        `process ${alive ? 'up to the end' : 'GONE'}, crash signs: ${signs.length === 0 ? 'none' : signs.join(', ')}`,
        `after a full collection (forced at minute ${Math.floor(warm / 2)} and after the last sample): RSS ${collected.map((c) => mb(c.rss)).join(' → ')} MB, V8 heap used ${collected.map((c) => mb(c.heapUsed)).join(' → ')} MB`,
        `per minute (MB): ${samples.map((s) => mb(s.bytes)).join(' ')}`,
        `V8 heap committed per minute (MB): ${heapTotals.map(mb).join(' ')}`,
        `anonymous RSS per minute (MB): ${parts.map((p) => mb(p.anon)).join(' ')}`,
        `file-backed RSS per minute (MB): ${parts.map((p) => mb(p.file)).join(' ')}`,
        `data folder per minute (MB): ${parts.map((p) => mb(p.disk)).join(' ')}`,
      ];
      return { happened: happened.join('; '), status: verdict(alive && signs.length === 0 && perHour < LIMIT_MB_PER_HOUR && steady.length >= 2) };
    });
    return [row];
  },
};
