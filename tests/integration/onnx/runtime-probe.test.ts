import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { checkModelFile } from '../../../adapters/onnx/model-report.js';
import { loadOnnxScorer } from '../../../adapters/onnx/onnx-scorer.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { catboostClassifier, writePackage } from '../../support/onnx-fixtures.js';

// A model file that takes ONNX Runtime down with it (std::terminate, SIGABRT) cannot
// be caught in the process that opens it. Found by the reliability suite's model fuzz:
// one byte of a CatBoost-style TreeEnsembleClassifier. Opened without isolation it
// would end this test worker, so only the isolated path is exercised here.

const log = pino({ level: 'silent' });

/** The crasher: byte 419 of the CatBoost fixture, 0x40 in the good file, set to 0x50. */
function crasher(): Uint8Array {
  const fixture = catboostClassifier();
  const bytes = Uint8Array.from(fixture.bytes);
  expect(bytes[419]).toBe(0x40);
  bytes[419] = 0x50;
  return bytes;
}

describe('models tried in a child process before the gateway opens them', () => {
  it('refuses a model that crashes ONNX Runtime with VITRIN_ERR_MODEL_LOAD, and this process lives on', async () => {
    const dir = writePackage(catboostClassifier(), undefined, crasher());
    const err: unknown = await loadOnnxScorer(dir, log, { isolate: true }).catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_MODEL_LOAD')).toBe(true);
    expect((err as Error).message).toMatch(/ONNX Runtime crashed \(SIGABRT\)/);

    // `vitrin model check` says the same, as a report.
    const report = await checkModelFile(join(dir, 'model.onnx'), join(dir, 'manifest.json'), { isolate: true });
    expect(report).toMatchObject({ ok: false, code: 'VITRIN_ERR_MODEL_LOAD' });
  });

  it('loads the same model undamaged, and scores with it', async () => {
    const dir = writePackage(catboostClassifier());
    const scorer = await loadOnnxScorer(dir, log, { isolate: true });
    const width = scorer.features.length;
    const scores = await scorer.score({ rows: 1, width, values: new Float32Array(width).fill(0.5) });
    expect(scores).toHaveLength(1);
    expect(scores[0]).toBeGreaterThanOrEqual(0);
    expect(scores[0]).toBeLessThanOrEqual(1);
    await scorer.stop();
  });
});
