import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { pino } from 'pino';
import { loadOnnxScorer } from '../../adapters/onnx/onnx-scorer.js';
import { DEMO_CATALOG } from '../../gateway/catalog/demo-catalog.js';
import { StoreCatalog } from '../../gateway/catalog/store-catalog.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import { candidatesFor } from '../../gateway/scoring/candidates.js';
import { candidateFeatures, cardBatch, visitFeatures } from '../../gateway/scoring/features.js';
import type { Benchmark } from './benchmark.js';

// The score stage for one card, as the card flow runs it: features for the visit row and
// each candidate row (the candidates themselves picked beforehand), the batch in the
// manifest's column order, one session.run through the gateway's Scorer, and the output
// read as probabilities. Against it, in the same run: a raw session.run on the same
// prebuilt tensors, with the same session options, nothing else.

const CARDS = 2_000;
const ROUNDS = 5;
const NOW = Date.UTC(2026, 10, 23, 15, 0, 0);

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const scoreBenchmark: Benchmark = {
  name: 'score',
  async run() {
    const progress = (line: string) => process.stderr.write(`  ${line}\n`);
    const dir = join(PACKAGE_ROOT, 'models', 'propensity');
    const scorer = await loadOnnxScorer(dir, pino({ level: 'silent' }));
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
    const catalog = new StoreCatalog(DEMO_CATALOG);
    const members = demoRoster(7, 200, 10).members;
    // What each card scores (the member, the moment, the candidates the card flow picked) is
    // decided before timing: the stage measured is features, batch, run and reading.
    const cards = Array.from({ length: CARDS }, (_, i) => {
      const member = members[i % members.length]!;
      return { member, at: NOW + i * 1000, dwellSeconds: 8 + (i % 60), candidates: candidatesFor(member.profile, catalog, NOW) };
    });
    const batchOf = (i: number) => {
      const { member, at, dwellSeconds, candidates } = cards[i]!;
      const visit = visitFeatures({ member, zoneKind: 'pos', dwellSeconds, at, timezone: 'Europe/Istanbul' });
      return cardBatch(scorer.features, visit, candidates.map(candidateFeatures));
    };
    const stage = (i: number) => scorer.score(batchOf(i));
    // The raw baseline's tensors, built before timing: what is left is ONNX Runtime alone.
    const tensors = Array.from({ length: CARDS }, (_, i) => {
      const batch = batchOf(i);
      return new ort.Tensor('float32', batch.values, [batch.rows, batch.width]);
    });
    const rows = tensors.reduce((n, t) => n + t.dims[0]!, 0) / CARDS;
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;

    for (let i = 0; i < 200; i++) {
      await stage(i);
      await session.run({ [inputName]: tensors[i]! }, [outputName]);
    }
    // The means come from rounds timed as a whole, the same way for both; the percentiles
    // from a pass of their own, since a clock read around every card costs time too.
    let stageBest = Infinity;
    let rawBest = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      let started = process.hrtime.bigint();
      for (let i = 0; i < CARDS; i++) await session.run({ [inputName]: tensors[i]! }, [outputName]);
      rawBest = Math.min(rawBest, Number(process.hrtime.bigint() - started) / 1e3 / CARDS);
      started = process.hrtime.bigint();
      for (let i = 0; i < CARDS; i++) await stage(i);
      stageBest = Math.min(stageBest, Number(process.hrtime.bigint() - started) / 1e3 / CARDS);
    }
    const stageTimes: number[] = [];
    for (let i = 0; i < CARDS; i++) {
      const one = process.hrtime.bigint();
      await stage(i);
      stageTimes.push(Number(process.hrtime.bigint() - one) / 1e3);
    }
    stageTimes.sort((a, b) => a - b);
    await scorer.stop();
    await session.release();
    progress(`${rows.toFixed(1)} rows per card; raw session.run ${rawBest.toFixed(1)} µs, score stage ${stageBest.toFixed(1)} µs per card`);
    const round1 = (v: number) => Math.round(v * 10) / 10;
    return {
      rawUsPerCard: round1(rawBest),
      stageUsPerCard: round1(stageBest),
      ratio: Math.round((stageBest / rawBest) * 100) / 100,
      p50Us: round1(percentile(stageTimes, 0.5)),
      p99Us: round1(percentile(stageTimes, 0.99)),
      rowsPerCard: round1(rows),
    };
  },
};
