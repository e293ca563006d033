import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { freePort } from '../../support/free-port.js';
import { timed, type Part } from '../report.js';
import { sleep, startGatewayProcess, until } from '../support/processes.js';
import { BASE, carded, standAt, writeStoreConfig } from '../support/store-floor.js';
import { pairTablet } from '../support/tablet.js';
import { Watch } from '../support/watch.js';

// Item 4: the data directory runs out of space under the running gateway. Preferably a
// real full file system (a 16 MB tmpfs filled to the last byte: SQLite sees ENOSPC);
// where the suite may not mount one, a file size limit set on the running process with
// prlimit (SQLite sees EFBIG) stands in for it. While full: feedback and sightings keep
// coming, the gateway must stay up and say what is wrong; when space returns, what it
// kept in memory must reach the disk and feedback must be answered 200 again.

type Method = { kind: 'tmpfs'; filler: string } | { kind: 'fsize' };

function mountTmpfs(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

function largestFile(dir: string): number {
  return Math.max(...readdirSync(dir).map((name) => statSync(join(dir, name)).size));
}

async function feedback(httpUrl: string, token: string, cardId: string, reason: string): Promise<{ status: number; code: string | undefined }> {
  const response = await fetch(`${httpUrl}/advisor/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `vitrin_tablet=${token}` },
    body: JSON.stringify({ cardId, action: 'accepted', reason }),
  });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code };
}

function storedReasons(file: string): Set<string> {
  const db = new Database(file, { readonly: true, timeout: 2_000 });
  try {
    return new Set(db.prepare<[], string>("SELECT json_extract(payload, '$.reason') FROM events WHERE type = 'feedback'").pluck().all());
  } finally {
    db.close();
  }
}

function tally(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => `${n}× ${item}`).join(', ');
}

export const diskFull: Part = {
  id: '4',
  title: 'disk full',
  async run(mode) {
    const dir = join(mode.dir, 'disk-full');
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    // RELIABILITY_DISK=fsize tries the stand-in where a tmpfs could be mounted.
    const method: Method = process.env.RELIABILITY_DISK !== 'fsize' && mountTmpfs(dataDir) ? { kind: 'tmpfs', filler: join(dataDir, 'filler') } : { kind: 'fsize' };
    const tried =
      method.kind === 'tmpfs'
        ? 'data.dir on a 16 MB tmpfs, filled to ENOSPC under the running gateway; 30 tablet and 10 till feedback, sightings going on; then the filler removed'
        : 'no tmpfs here (mount refused): a file size limit just above the database files set on the running gateway with prlimit (EFBIG); 30 tablet and 10 till feedback, sightings going on; then the limit lifted';
    const row = await timed('4', 'disk full', tried, async () => {
      const gateway = await startGatewayProcess({ configFile: writeStoreConfig(dir), env: { VITRIN_DATA__DIR: dataDir }, httpPort: await freePort(), mqtt: await freePort() });
      const till = await Watch.open(gateway.mqttUrl, [`${BASE}pos/till-1/cards`, `${BASE}pos/till-1/errors`, `${BASE}gateway/response/health`], { clientId: 'pos.till-1' });
      const phones = mqtt.connect(gateway.mqttUrl, { clientId: 'receiver.rx-pos-1', reconnectPeriod: 100 });
      phones.on('error', () => undefined);
      const member = carded(400, 1)[0]!;
      const leave = standAt(phones, member, 'rx-pos-1');
      try {
        const token = await pairTablet(gateway.httpUrl, ['pos-1']);
        const card = await till.wait('a card', `${BASE}pos/till-1/cards`, 0, 10_000, (p) => p.includes(member.id));
        const cardId = (JSON.parse(card.payload) as { cardId: string }).cardId;
        const before = await feedback(gateway.httpUrl, token, cardId, 'before');

        if (method.kind === 'tmpfs') fill(method.filler);
        else execFileSync('prlimit', [`--pid=${gateway.pid}`, `--fsize=${largestFile(dataDir) + 4096}:unlimited`]);
        const fullAt = Date.now();
        const during: { status: number; code: string | undefined }[] = [];
        for (let i = 0; i < 30; i++) during.push(await feedback(gateway.httpUrl, token, cardId, `full-${i}`));
        for (let i = 0; i < 10; i++) await till.client.publishAsync(`${BASE}pos/till-1/feedback`, JSON.stringify({ cardId, action: 'accepted', reason: `full-mqtt-${i}` }), { qos: 1 });
        await sleep(1_500);
        const tillErrors = till.seen.filter((m) => m.topic.endsWith('/errors') && m.at >= fullAt).map((m) => (JSON.parse(m.payload) as { code: string }).code);
        const healthz = (await fetch(`${gateway.httpUrl}/healthz`)).status;
        const readyz = await fetch(`${gateway.httpUrl}/readyz`);
        const readyBody = (await readyz.json()) as { checks?: Record<string, boolean> };
        const adminStatus = (await (await fetch(`${gateway.httpUrl}/admin/status`)).json()) as { recentErrors?: { code?: string }[] };
        await till.client.publishAsync(`${BASE}gateway/request/health`, JSON.stringify({ transaction: 'disk-full' }), { qos: 1 });
        const health = await till.wait('the health answer', `${BASE}gateway/response/health`, fullAt, 5_000).catch(() => undefined);
        const healthStatus = health === undefined ? 'no answer' : String((JSON.parse(health.payload) as { data?: { status?: string } }).data?.status);
        const errorCodes = new Set((adminStatus.recentErrors ?? []).map((e) => e.code).filter((c) => c !== undefined));
        const aliveWhileFull = gateway.alive() && healthz === 200;

        if (method.kind === 'tmpfs') unlinkSync(method.filler);
        else execFileSync('prlimit', [`--pid=${gateway.pid}`, '--fsize=unlimited:unlimited']);
        const freedAt = Date.now();
        const taken = during.map((_, i) => `full-${i}`);
        const wanted = [...taken, ...Array.from({ length: 10 }, (_, i) => `full-mqtt-${i}`)];
        const onDisk = await until('the feedback kept in memory to reach the disk', 15_000, () => {
          const stored = storedReasons(join(dataDir, 'vitrin.db'));
          return wanted.every((r) => stored.has(r)) ? stored : undefined;
        }).catch(() => storedReasons(join(dataDir, 'vitrin.db')));
        const recoveredMs = Date.now() - freedAt;
        const after: { status: number; code: string | undefined }[] = [];
        for (let i = 0; i < 10; i++) after.push(await feedback(gateway.httpUrl, token, cardId, `after-${i}`));
        const readyAfter = (await fetch(`${gateway.httpUrl}/readyz`)).status;
        const kept = wanted.filter((r) => onDisk.has(r)).length;
        const clear = readyz.status === 503 && readyBody.checks?.database === false && healthStatus !== 'ready';
        const recovered = kept === wanted.length && after.every((a) => a.status === 200) && readyAfter === 200;
        // 202 with VITRIN_ERR_STORE_WRITE: taken into memory, not on disk yet; the tablet must not send it again.
        const refusedWithCode = during.every((d) => d.status === 202 && d.code === 'VITRIN_ERR_STORE_WRITE');
        const happened = [
          `before: ${before.status}${before.code === undefined ? '' : ` ${before.code}`}`,
          `while full: gateway ${aliveWhileFull ? 'up' : 'DOWN'} (/healthz ${healthz}); tablet feedback answered ${tally(during.map((d) => `${d.status} ${d.code ?? ''}`.trim()))}; till errors: ${tillErrors.length === 0 ? 'none' : tally(tillErrors)}`,
          `health: /readyz ${readyz.status} (database ${String(readyBody.checks?.database)}), gateway/request/health "${healthStatus}", /admin/status recent errors ${[...errorCodes].join(', ') || 'none'}`,
          `space back: ${kept}/${wanted.length} feedback kept in memory written within ${(recoveredMs / 1000).toFixed(1)} s; afterwards ${tally(after.map((a) => String(a.status)))}; /readyz ${readyAfter}`,
        ];
        if (!clear) happened.push('NOT CLEAR: readiness and the health request still say ready while nothing can be written');
        const status = aliveWhileFull && refusedWithCode && recovered && clear ? 'pass' : 'fail';
        return { happened: happened.join('; '), status };
      } finally {
        leave();
        phones.end(true);
        await till.close();
        await gateway.stop();
        if (method.kind === 'tmpfs') execFileSync('umount', ['-l', dataDir]);
      }
    });
    return [row];
  },
};
