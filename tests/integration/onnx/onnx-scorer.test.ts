import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadOnnxScorer } from '../../../adapters/onnx/onnx-scorer.js';
import { isVitrinError, type ErrorCode } from '../../../gateway/errors.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import { cardBatch, featureBatch } from '../../../gateway/scoring/features.js';
import { writeLogisticOnnx } from '../../../models/train/onnx-writer.js';

const log = pino({ level: 'silent' });
const shipped = join(PACKAGE_ROOT, 'models', 'propensity');

/** A copy of the shipped package, changed by `edit`, in a temp folder. */
function variant(edit: (dir: string, manifest: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-model-'));
  cpSync(shipped, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  edit(dir, manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

function withModelBytes(dir: string, manifest: Record<string, unknown>, bytes: Uint8Array): void {
  writeFileSync(join(dir, 'model.onnx'), bytes);
  manifest.sha256 = createHash('sha256').update(bytes).digest('hex');
}

async function loadError(dir: string): Promise<{ code: ErrorCode; details: readonly string[] }> {
  const err: unknown = await loadOnnxScorer(dir, log).catch((e: unknown) => e);
  if (!isVitrinError(err)) throw new Error(`expected a VitrinError, got ${String(err)}`);
  return { code: err.code, details: err.details };
}

describe('OnnxScorer on ONNX Runtime', () => {
  it('scores a batch with the shipped model: one probability per row, higher for a more engaged visit', async () => {
    const scorer = await loadOnnxScorer(shipped, log);
    expect(scorer.model).toMatchObject({ id: 'propensity', version: '2.0.0' });
    const batch = featureBatch(scorer.features, [
      { recencyDays: 140, appSessions7d: 0 },
      {},
      { recencyDays: 3, frequency90d: 6, cartItems: 3, priceDropsOnWishlist: 2, appSessions7d: 15, zoneIsPos: 1, dwellSeconds: 120 },
    ]);
    const scores = await scorer.score(batch);
    expect(scores).toHaveLength(3);
    for (const p of scores) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
    expect(scores[2]).toBeGreaterThan(scores[1]!);
    expect(scores[1]).toBeGreaterThan(scores[0]!);
    await scorer.stop();
  });

  it('scores card batches carved side by side from one shared buffer exactly as it scores copies of them', async () => {
    const scorer = await loadOnnxScorer(shipped, log);
    // Card batches are views into shared 64 KiB slabs (gateway/util/slabs.ts): ONNX Runtime must read each at its own offset.
    const batches = Array.from({ length: 40 }, (_, i) =>
      cardBatch(scorer.features, { recencyDays: 2 + i, appSessions7d: i % 9, dwellSeconds: 10 * i, zoneIsPos: i % 2 }, [
        { candidateIsVisit: 0, candidateIsCart: 1, candidatePrice: 100 + i * 7, candidateAffinity: (i % 5) / 5 },
        { candidateIsVisit: 0, candidateIsOffer: 1, candidatePrice: 40 + i, candidateAffinity: 0.2 },
      ]),
    );
    expect(new Set(batches.map((b) => b.values.buffer)).size).toBeLessThan(batches.length);
    expect(batches.some((b) => b.values.byteOffset > 0)).toBe(true);
    for (const batch of batches) {
      const viewed = await scorer.score(batch);
      const copied = await scorer.score({ ...batch, values: Float32Array.from(batch.values) });
      expect([...viewed]).toEqual([...copied]);
    }
    const first = await scorer.score(batches[0]!);
    const last = await scorer.score(batches[39]!);
    expect([...first]).not.toEqual([...last]);
    await scorer.stop();
  });

  it('refuses a model whose bytes differ from the manifest checksum', async () => {
    const dir = variant((d) => {
      const bytes = readFileSync(join(d, 'model.onnx'));
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
      writeFileSync(join(d, 'model.onnx'), bytes);
    });
    expect((await loadError(dir)).code).toBe('VITRIN_ERR_MODEL_CHECKSUM');
  });

  it('refuses a manifest naming an input the model does not have', async () => {
    const dir = variant((_d, m) => (m.input = { name: 'float_input', batch: 'dynamic' }));
    const err = await loadError(dir);
    expect(err.code).toBe('VITRIN_ERR_MODEL_MISMATCH');
    expect(err.details[0]).toContain('input "float_input" not in the model (it has: features)');
  });

  it('refuses a model with a different number of features than the manifest', async () => {
    const dir = variant((d, m) => {
      const bytes = writeLogisticOnnx({ weights: [0.1, 0.2, 0.3], bias: 0, inputName: 'features', outputName: 'probability', docString: '', metadata: {} });
      withModelBytes(d, m, bytes);
    });
    const err = await loadError(dir);
    expect(err.code).toBe('VITRIN_ERR_MODEL_MISMATCH');
    expect(err.details).toContain('input "features" takes 3 features, the manifest lists 24');
  });

  it('refuses garbage that matches its checksum with VITRIN_ERR_MODEL_FORMAT', async () => {
    const dir = variant((d, m) => withModelBytes(d, m, Buffer.from('this is not an onnx model')));
    expect((await loadError(dir)).code).toBe('VITRIN_ERR_MODEL_FORMAT');
  });

  it('refuses a malformed manifest with every problem listed', async () => {
    const dir = variant((_d, m) => {
      delete m.output;
    });
    const err = await loadError(dir);
    expect(err.code).toBe('VITRIN_ERR_MODEL_LOAD');
    expect(err.details).toContain('/output/name: must be a string');
  });
});
