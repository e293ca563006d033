import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadModelPackage } from '../../../adapters/onnx/onnx-scorer.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { seededRandom } from '../../../gateway/util/seeded-random.js';
import type { ModelVariantResult } from '../children/model-fuzz.js';
import { count, timed, verdict, type Mode, type Row, type Status } from '../report.js';
import { brokenConfig } from '../support/config-fuzz.js';
import { BIN, crashSigns, startProcess } from '../support/processes.js';
import { storeYaml } from '../support/store-floor.js';

// Item 6, the file half: broken config files through `vitrin config check`, broken
// model packages through the ONNX adapter and `vitrin model check`. In-process for
// numbers (the CLI's own runCli, where anything but a coded error would escape as a
// stack trace), and a sample through the real command, which must exit 1 with a code
// on its first line of stderr and no stack trace.

const MODEL_CHILD = join(import.meta.dirname, '..', 'children', 'model-fuzz.js');
const CODE_LINE = /^VITRIN_ERR_[A-Z_]+: /;

function tally(items: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} ${count(n)}`)
    .join(', ');
}

interface CliRun {
  readonly exit: number | string;
  readonly stderr: string;
}

async function cli(args: readonly string[]): Promise<CliRun> {
  const run = startProcess([BIN, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin' });
  const exit = await run.exited;
  return { exit, stderr: run.stderr() };
}

/** Exit 1, the first line a coded error, no stack trace: what store IT should see. */
function coded(run: CliRun): boolean {
  // ONNX Runtime logs its own warnings and errors to stderr first; the command's own first line is what store IT reads.
  // ONNX Runtime colours its lines with ANSI escapes.
  const plain = run.stderr.replace(/\x1b\[[0-9;]*m/g, '');
  const firstError = plain.split('\n').find((line) => line.trim() !== '' && !line.includes(':onnxruntime:'));
  return run.exit === 1 && CODE_LINE.test(firstError ?? '') && crashSigns(run.stderr).length === 0;
}

async function configFiles(mode: Mode, seed: number): Promise<{ happened: string; ok: boolean }> {
  const dir = join(mode.dir, 'configs');
  mkdirSync(dir, { recursive: true });
  const random = seededRandom(seed);
  const good = storeYaml();
  const files = mode.soak ? 20_000 : 1_000;
  const outcomes: string[] = [];
  const escaped: string[] = [];
  const written: string[] = [];
  // The YAML parser reports some problems (an unknown tag) as process warnings too: counted here, not printed.
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  let warnings = 0;
  const countWarning = () => void warnings++;
  process.on('warning', countWarning);
  for (let i = 0; i < files; i++) {
    const file = join(dir, `store-${i}.yaml`);
    writeFileSync(file, brokenConfig(random, good));
    written.push(file);
    const err: string[] = [];
    try {
      const exit = await runCli(['config', 'check', file], { startGateway: () => Promise.reject(new Error('not here')), env: {}, io: { out: () => undefined, err: (line) => err.push(line) } });
      const code = /^(VITRIN_ERR_[A-Z_]+):/.exec(err[0] ?? '')?.[1];
      outcomes.push(exit === 0 ? 'still valid' : (code ?? `exit ${exit} without a code`));
    } catch (thrown) {
      escaped.push(`store-${i}.yaml: ${thrown instanceof Error ? thrown.message.slice(0, 100) : String(thrown)}`);
    }
  }
  process.off('warning', countWarning);
  for (const printer of printers) process.on('warning', printer);
  // Through the real command: the files that are not YAML at all, a directory, a missing file, and a sample.
  const sample = [dir, join(dir, 'missing.yaml'), ...written.filter((_, i) => i % Math.ceil(files / 10) === 0)];
  const runs = await Promise.all(sample.map((file) => cli(['config', 'check', file])));
  const badRuns = runs.map((run, i) => ({ run, file: sample[i]! })).filter(({ run }) => run.exit !== 0 && !coded(run));
  const uncoded = outcomes.filter((o) => o.startsWith('exit'));
  return {
    happened: `${count(files)} files in-process: ${tally(outcomes)}${warnings > 0 ? ` (and ${warnings} YAML warnings emitted as Node process warnings, which the CLI prints on stderr)` : ''}${escaped.length > 0 ? `; ESCAPED as exceptions (a stack trace): ${escaped.slice(0, 3).join('; ')}` : ''}; through \`vitrin config check\` (${sample.length} incl. a directory and a missing file): ${runs.filter(coded).length} exit 1 with a code, ${runs.filter((r) => r.exit === 0).length} valid${badRuns.length > 0 ? `, ${badRuns.length} WITHOUT a code: ${badRuns[0]!.run.stderr.slice(0, 200)}` : ''}`,
    ok: escaped.length === 0 && uncoded.length === 0 && badRuns.length === 0,
  };
}

interface ModelRun {
  readonly results: ModelVariantResult[];
  /** Variants that took the process down, with how. */
  readonly crashes: { readonly variant: ModelVariantResult | undefined; readonly exit: number | string }[];
}

/** Runs the variants in a child, starting a new one after any variant that kills it. */
async function runModelVariants(dir: string, variants: number, seed: number): Promise<ModelRun> {
  const results: ModelVariantResult[] = [];
  const crashes: ModelRun['crashes'] = [];
  let from = 0;
  while (from < variants) {
    const child = startProcess([MODEL_CHILD, dir, String(from), String(variants), String(seed)], { PATH: process.env.PATH ?? '/usr/bin:/bin' });
    const exit = await child.exited;
    const lines = child.lines().filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ModelVariantResult & { running?: true });
    results.push(...lines.filter((r) => r.running !== true && r.index >= from));
    if (exit === 0) break;
    const last = lines.at(-1);
    crashes.push({ variant: last?.running === true ? last : undefined, exit });
    from = last === undefined ? variants : last.index + 1;
  }
  return { results, crashes };
}

async function modelFiles(mode: Mode, seed: number): Promise<{ happened: string; status: Status }> {
  const dir = join(mode.dir, 'models');
  const variants = mode.soak ? 20_000 : 1_000;
  const { results, crashes } = await runModelVariants(dir, variants, seed);
  const threw = results.filter((r) => r.load.startsWith('THREW') || r.check.startsWith('THREW'));
  // Through the real command: one refused variant of each kind, and every one that crashed.
  const sample = new Map<string, { index: number }>();
  for (const r of results) if (r.check !== 'usable' && !sample.has(r.kind)) sample.set(r.kind, r);
  const crashed = crashes.flatMap((c) => (c.variant === undefined ? [] : [c.variant]));
  const picked = [...[...sample.values()].slice(0, 10), ...crashed.slice(0, 2)];
  const runs = await Promise.all(picked.map((r) => cli(['model', 'check', join(dir, `model-${r.index}.onnx`), '--manifest', join(dir, `manifest-${r.index}.json`)])));
  const badRuns = runs.filter((run) => !coded(run));
  // The files that brought ONNX Runtime down, as the running gateway loads them (start, reload, cloud): through the probe process.
  const guarded = await Promise.all(
    crashed.slice(0, 5).map(async (r) => {
      const files = { model: join(dir, `model-${r.index}.onnx`), manifest: join(dir, `manifest-${r.index}.json`) };
      return loadModelPackage(files, pino({ level: 'silent' }), { isolate: true }).then(
        async (scorer) => {
          await scorer.stop();
          return 'loaded';
        },
        (err: unknown) => (isVitrinError(err) ? err.code : `THREW ${String(err)}`),
      );
    }),
  );
  const crashText = crashes.map((c) => `${c.variant === undefined ? 'a variant' : `variant ${c.variant.index} (${c.variant.base}, ${c.variant.kind})`} killed the process (${c.exit})`);
  const happened = [
    `${count(results.length + crashes.length)} broken packages (6 model kinds: shipped, skl2onnx+ZipMap, trees, CatBoost, Keras, PyTorch; truncated, bits flipped, protobuf fields broken, merged, wrong file types; broken manifests; manifests re-hashed so the parser and ONNX Runtime see the damage)`,
    `loadModelPackage: ${tally(results.map((r) => r.load))}`,
    `model check: ${tally(results.map((r) => r.check))}`,
    ...(crashes.length === 0
      ? ['no crash']
      : [
          `ONNX Runtime itself aborted on ${crashes.length} (in the fuzz child, which loads without the probe): ${crashText.slice(0, 3).join('; ')}`,
          `the same files as the gateway loads them (probe process first): ${tally(guarded)}, the gateway's process unharmed`,
        ]),
    ...(threw.length > 0 ? [`THREW without a code: ${threw.slice(0, 2).map((r) => r.load).join('; ')}`] : []),
    `through \`vitrin model check\`: ${runs.length - badRuns.length}/${runs.length} exit 1 with a code${badRuns.length > 0 ? ` (others: exit ${badRuns.map((r) => `${r.exit}${r.exit === 'SIGABRT' ? '' : `: "${r.stderr.trim().slice(0, 160)}"`}`).join(', ')})` : ''}`,
  ];
  // ONNX Runtime may abort on a damaged file; the gateway's own loads and `vitrin model check` must refuse it with a code and live.
  const clean = threw.length === 0 && results.length + crashes.length === variants;
  const guardedAll = guarded.every((code) => code.startsWith('VITRIN_ERR_MODEL_'));
  const status: Status = clean && badRuns.length === 0 && guardedAll ? 'pass' : 'fail';
  return { happened: happened.join('; '), status };
}

export async function hostileFiles(mode: Mode, seed: number): Promise<Row[]> {
  return [
    await timed('6c', 'broken config files', `mutated store configs (seed ${seed}): lines dropped, repeated, swapped, mis-indented or cut; values of the wrong type or range; YAML syntax errors; files that are not YAML (binary, UTF-16, NUL, an alias bomb, 10,000-deep nesting, prototype keys, 200 KB values)`, async () => {
      const { happened, ok } = await configFiles(mode, seed);
      return { happened, status: verdict(ok) };
    }),
    await timed('6d', 'truncated and wrongly typed model files', `model packages broken ${mode.soak ? '20,000' : '1,000'} ways (same seed), loaded in a child process so that a native crash shows (and the run goes on after it)`, async () => {
      return modelFiles(mode, seed);
    }),
  ];
}
