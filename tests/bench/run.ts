// Entry of `npm run bench`, compiled to dist/tests/bench/run.js and run with plain
// node (no vitest). stdout carries exactly one JSON object, so CI can parse it;
// progress goes to stderr. `npm run bench -- store` runs only the named benchmarks.
import { BENCHMARKS } from './registry.js';

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const report: Record<string, Record<string, number>> = {};
  let failed = false;
  for (const bench of BENCHMARKS) {
    if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
    process.stderr.write(`[bench] ${bench.name}: running\n`);
    const started = process.hrtime.bigint();
    try {
      report[bench.name] = await bench.run();
    } catch (err) {
      // One broken benchmark must not hide the others' numbers.
      failed = true;
      process.stderr.write(`[bench] ${bench.name}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      continue;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    process.stderr.write(`[bench] ${bench.name}: done in ${seconds.toFixed(1)} s\n`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
