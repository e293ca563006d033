// Entry of `npm run test:reliability`, compiled to dist/tests/reliability/run.js and run
// with plain node. CI mode (the default) fits in about six minutes; `--soak` is the
// manual mode: an hour of realistic load after a half-hour warm-up, with the service's
// memory sampled every minute (`--soak-minutes N` and `--soak-warmup-minutes N` for
// other lengths), and every other part run longer. `--only 1,5`
// runs only those items. Progress goes to stderr; the table goes to stdout; the exit code
// is 1 when any check failed. RELIABILITY_SEED repeats a run's random choices (each part
// prints its seed), RELIABILITY_KEEP=1 keeps the temporary folder, RELIABILITY_DISK=fsize
// tries item 4's stand-in for a full disk where a tmpfs could be mounted.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, type Mode, type Part, type Row } from './report.js';
import { brokerOutages } from './parts/broker-outages.js';
import { cloudOutage } from './parts/cloud-outage.js';
import { crashCycles } from './parts/crash-cycles.js';
import { diskFull } from './parts/disk-full.js';
import { flood } from './parts/flood.js';
import { hostileInput } from './parts/hostile-input.js';
import { access } from './parts/access.js';
import { soak } from './parts/soak.js';

const PARTS: readonly Part[] = [crashCycles, brokerOutages, cloudOutage, diskFull, flood, hostileInput, access, soak];

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index < 0 ? undefined : args[index + 1];
}

async function main(args: readonly string[]): Promise<number> {
  const soak = args.includes('--soak');
  const only = option(args, '--only')?.split(',');
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-reliability-'));
  const started = performance.now();
  const mode: Mode = {
    soak,
    dir,
    progress: (line) => process.stderr.write(`[reliability ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`),
  };
  const rows: Row[] = [];
  try {
    for (const part of PARTS) {
      if (only !== undefined && !only.includes(part.id)) continue;
      if (part.inSoakOnly === true && !soak) {
        rows.push({ id: part.id, check: part.title, tried: 'manual mode only: npm run test:reliability -- --soak', happened: '', status: 'not run', seconds: 0 });
        continue;
      }
      mode.progress(`${part.id}: ${part.title}`);
      const started = performance.now();
      // A part that breaks is a failed row, never the end of the run: the other parts' numbers still count.
      const partRows = await part.run(mode).catch((err: unknown): Row[] => [
        { id: part.id, check: part.title, tried: '', happened: `the part broke: ${err instanceof Error ? err.message : String(err)}`, status: 'fail', seconds: (performance.now() - started) / 1000 },
      ]);
      for (const row of partRows) mode.progress(`${row.id}: ${row.status} in ${row.seconds.toFixed(1)} s: ${row.happened}`);
      rows.push(...partRows);
    }
  } finally {
    if (process.env.RELIABILITY_KEEP === undefined) rmSync(dir, { recursive: true, force: true });
  }
  const total = (performance.now() - started) / 1000;
  const failed = rows.filter((r) => r.status === 'fail');
  process.stdout.write(`${markdownTable(rows)}\n\n${soak ? 'Soak' : 'CI'} mode, ${total.toFixed(0)} s in all, ${failed.length === 0 ? 'no check failed' : `${failed.length} check(s) failed: ${failed.map((r) => r.id).join(', ')}`}.\n`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
