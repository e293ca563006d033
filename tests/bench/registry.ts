// Every benchmark `npm run bench` runs, in order. A new benchmark is one module
// exporting a Benchmark and one line here; run.ts needs no change.
import type { Benchmark } from './benchmark.js';
import { decodeBenchmark } from './decode-bench.js';
import { ingestBenchmark } from './ingest-bench.js';
import { resolveBenchmark } from './resolve-bench.js';
import { scoreBenchmark } from './score-bench.js';
import { cardBenchmark } from './card-bench.js';
import { storeBench } from './store-bench.js';

export type { Benchmark } from './benchmark.js';

export const BENCHMARKS: readonly Benchmark[] = [storeBench, decodeBenchmark, resolveBenchmark, ingestBenchmark, scoreBenchmark, cardBenchmark];
