import { spawn } from 'node:child_process';
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { randomBytes, seededRandom } from '../../adapters/simulator/random.js';
import { SqliteRosterStore } from '../../adapters/sqlite/sqlite-roster-store.js';
import type { Frame } from '../../gateway/ble/decode.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { Resolver } from '../../gateway/identity/resolver.js';
import { RosterCipher } from '../../gateway/identity/roster-cipher.js';
import { RosterVault } from '../../gateway/identity/roster-vault.js';
import type { Member, MemberIdentity, Roster } from '../../gateway/identity/roster.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import type { Clock } from '../../gateway/ports.js';
import type { Benchmark } from './benchmark.js';

// Member resolution: the cost of building the EID tables for 100,000 members, the
// cost per advertisement with 10 and with 100,000 members on the same store-like
// stream (85% strangers), and the resident memory of the real service (`vitrin
// start`, as npm start runs it) with 100,000 stored members against the same
// service with none, measured in the same run.

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const K = 10;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const STREAM = 100_000;
const ROUNDS = 10;
const BIG = 100_000;

function identities(count: number, seed: number): MemberIdentity[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `m-${String(i).padStart(6, '0')}`,
    identityKey: randomBytes(random, 16),
    consent: { presence: true, personalisation: true, showName: true },
    holdout: false,
  }));
}

/** 85% strangers (other beacons, other Eddystone-EIDs, our UUID with unknown prefixes), 15% members. */
function stream(members: readonly MemberIdentity[], seed: number): Frame[] {
  const random = seededRandom(seed);
  const nowSeconds = NOW / 1000;
  return Array.from({ length: STREAM }, (_, i): Frame => {
    const slot = i % 20;
    if (slot < 3) {
      const member = members[Math.floor(random() * members.length)]!;
      const eid = computeEid(member.identityKey, K, nowSeconds);
      return slot === 0 ? { kind: 'ibeacon', uuid: APP_UUID, major: eid.readUInt16BE(0), minor: eid.readUInt16BE(2), measuredPower: -59 } : { kind: 'eddystone-eid', txPower: -4, eid };
    }
    if (slot < 10) return { kind: 'eddystone-eid', txPower: -4, eid: randomBytes(random, 8) };
    if (slot < 14) return { kind: 'ibeacon', uuid: APP_UUID, major: Math.floor(random() * 65536), minor: Math.floor(random() * 65536), measuredPower: -59 };
    return { kind: 'ibeacon', uuid: 'f7826da6-4fa2-4e98-8024-bc5b71e0893e', major: 1, minor: Math.floor(random() * 65536), measuredPower: -59 };
  });
}

function nsPerAdvert(resolver: Resolver, frames: readonly Frame[]): number {
  let sink = 0;
  for (const frame of frames) if (resolver.resolve(frame, NOW).status === 'member') sink++;
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (const frame of frames) if (resolver.resolve(frame, NOW).status === 'member') sink++;
    best = Math.min(best, Number(process.hrtime.bigint() - started) / frames.length);
  }
  if (sink < 0) throw new Error('unreachable');
  return best;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Times each background slice of the next period's table: what the event loop waits at most. */
function slowestSliceMs(roster: Roster): number {
  const pending: (() => void)[] = [];
  const clock: Clock = {
    now: () => NOW,
    setTimeout: (fn) => {
      pending.push(fn);
      return () => undefined;
    },
    setInterval: () => () => undefined,
  };
  const resolver = new Resolver(roster, APP_UUID, { clock });
  void resolver.start();
  let slowest = 0;
  for (let step = pending.shift(); step !== undefined; step = pending.shift()) {
    const started = process.hrtime.bigint();
    step();
    slowest = Math.max(slowest, Number(process.hrtime.bigint() - started) / 1e6);
  }
  void resolver.stop();
  return slowest;
}

interface ServiceRss {
  /** 5 s after the service reports running: start-up garbage still held. */
  readonly atStartMb: number;
  /** A minute after it reports running, once V8 has given back the heap it grew while starting. */
  readonly settledMb: number;
  /** Right after that, and a full garbage collection (what the service holds, not what V8 has yet to give back). */
  readonly afterGcMb: number;
}

/** Resident memory of the process now (MB). */
function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function serviceRssMb(storedMembers: number): Promise<ServiceRss> {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-resolve-bench-'));
  const key = cryptoRandomBytes(32);
  try {
    if (storedMembers > 0) {
      const store = new SqliteRosterStore({ dataDir: dir });
      await store.start();
      const random = seededRandom(99);
      const vault = new RosterVault({ store, cipher: new RosterCipher(key), log: pino({ level: 'silent' }) });
      const profile: Member['profile'] = {
        firstName: 'Ayşe', tier: 'gold', segments: ['runner', 'denim-lover'], recencyDays: 12, frequency90d: 3, monetary90d: 4500, appSessions7d: 5, visitsThisWeek: 1,
        cart: [{ sku: 'SN-220-42', title: 'Trail running shoes', category: 'shoes', price: 2899, previousPrice: 3499, inStockHere: true }],
        wishlist: [{ sku: 'JK-118-M', title: 'Quilted light jacket', category: 'outerwear', price: 2199, inStockHere: true }],
        offers: [{ id: 'of-autumn-10', title: '10% off knitwear', code: 'AUTUMN10', validUntil: '2026-12-31T23:59:59Z' }],
      };
      for (let start = 0; start < storedMembers; start += 10_000) {
        const batch = identities(Math.min(10_000, storedMembers - start), 0).map((m, i): Member => ({ ...m, id: `m-${start + i}`, identityKey: randomBytes(random, 16), profile }));
        vault.write(batch, K);
      }
      await store.stop();
    }
    return await new Promise<ServiceRss>((resolve, reject) => {
      // --expose-gc and the preload change nothing until the benchmark sends SIGUSR2.
      const child = spawn(process.execPath, ['--expose-gc', '-r', join(PACKAGE_ROOT, 'tests', 'support', 'gc-on-signal.cjs'), join(PACKAGE_ROOT, 'dist', 'gateway', 'bin.js'), 'start'], {
        env: { ...process.env, VITRIN_ROSTER_KEY: key.toString('hex'), VITRIN_DATA__DIR: dir, VITRIN_HTTP__PORT: '0', VITRIN_MQTT__EMBEDDED__PORT: '0', VITRIN_LOG__LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      const timeout = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the service did not start and settle within 150 s'));
      }, 150_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (!output.includes('Vitrin is running')) return;
        output = '';
        // The simulator walking and the next period's table built; V8 still holds the heap it
        // grew while loading modules and the roster, and gives it back within the minute.
        let atStartMb = NaN;
        // A service that died meanwhile has no /proc entry: the benchmark fails, it does not crash.
        const sample = (then: (mb: number) => void) => () => {
          try {
            then(rssMbOf(child.pid!));
          } catch (err) {
            clearTimeout(timeout);
            clearTimeout(settled);
            clearTimeout(afterGc);
            child.kill('SIGKILL');
            reject(new Error(`the service's memory could not be read: ${err instanceof Error ? err.message : String(err)}`));
          }
        };
        setTimeout(sample((mb) => (atStartMb = mb)), 5_000);
        let afterGc: ReturnType<typeof setTimeout> | undefined;
        const settled = setTimeout(
          sample((settledMb) => {
            child.kill('SIGUSR2');
            afterGc = setTimeout(
              sample((afterGcMb) => {
                clearTimeout(timeout);
                child.kill('SIGTERM');
                child.once('exit', () => resolve({ atStartMb, settledMb, afterGcMb }));
              }),
              3_000,
            );
          }),
          60_000,
        );
      });
      child.once('error', reject);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const resolveBenchmark: Benchmark = {
  name: 'resolve',
  async run() {
    const progress = (line: string) => process.stderr.write(`  ${line}\n`);
    const big: Roster = { rotationExponent: K, members: identities(BIG, 1) };
    const small: Roster = { rotationExponent: K, members: big.members.slice(0, 10) };

    const builds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const resolver = new Resolver(big, APP_UUID);
      const started = process.hrtime.bigint();
      resolver.resolveEid(new Uint8Array(8), NOW); // builds the previous, current and next period
      builds.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const tableBuildMs100k = median(builds);
    progress(`table build, 100,000 members, 3 periods: ${tableBuildMs100k.toFixed(0)} ms (runs: ${builds.map((b) => b.toFixed(0)).join(', ')})`);
    const sliceMs = slowestSliceMs(big);
    progress(`slowest background slice: ${sliceMs.toFixed(2)} ms`);

    const resolverSmall = new Resolver(small, APP_UUID);
    const medium: Roster = { rotationExponent: K, members: big.members.slice(0, 10_000) };
    const resolverMedium = new Resolver(medium, APP_UUID);
    const resolverBig = new Resolver(big, APP_UUID);
    const ns10 = nsPerAdvert(resolverSmall, stream(small.members, 3));
    const ns10k = nsPerAdvert(resolverMedium, stream(medium.members, 3));
    const ns100k = nsPerAdvert(resolverBig, stream(big.members, 3));
    progress(`resolve: ${ns10.toFixed(0)} ns/advert with 10 members, ${ns10k.toFixed(0)} with 10,000, ${ns100k.toFixed(0)} with 100,000`);

    const baseline = await serviceRssMb(0);
    progress(`service RSS with no stored members: ${baseline.atStartMb.toFixed(1)} MB at 5 s, ${baseline.settledMb.toFixed(1)} MB at 60 s, ${baseline.afterGcMb.toFixed(1)} MB after a full collection`);
    const loaded = await serviceRssMb(BIG);
    progress(`service RSS with 100,000 stored members: ${loaded.atStartMb.toFixed(1)} MB at 5 s, ${loaded.settledMb.toFixed(1)} MB at 60 s, ${loaded.afterGcMb.toFixed(1)} MB after a full collection`);
    const mb = (value: number) => Math.round(value * 10) / 10;
    return {
      tableBuildMs100k: Math.round(tableBuildMs100k),
      backgroundSliceMaxMs: Math.round(sliceMs * 100) / 100,
      nsPerAdvert10: Math.round(ns10),
      nsPerAdvert10k: Math.round(ns10k),
      nsPerAdvert100k: Math.round(ns100k),
      ratio: Math.round((ns100k / ns10) * 100) / 100,
      rssMb100k: mb(loaded.settledMb),
      rssMbNoMembers: mb(baseline.settledMb),
      rssMb100kAt5s: mb(loaded.atStartMb),
      rssMbNoMembersAt5s: mb(baseline.atStartMb),
      rssMb100kAfterGc: mb(loaded.afterGcMb),
      rssMbNoMembersAfterGc: mb(baseline.afterGcMb),
    };
  },
};
