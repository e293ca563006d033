import type { FeatureBatch, FeatureSpec, ModelIdentity, Scorer } from '../../gateway/ports.js';

/** A Scorer with fixed weights, to test the stages around ONNX Runtime without it. */
export class LinearScorer implements Scorer {
  readonly model: ModelIdentity = { id: 'linear-test', version: '0.0.1', sha256: '0'.repeat(64) };
  readonly batches: FeatureBatch[] = [];

  constructor(
    readonly features: readonly FeatureSpec[],
    private readonly weights: readonly number[],
  ) {}

  score(batch: FeatureBatch): Promise<Float32Array> {
    this.batches.push(batch);
    const out = new Float32Array(batch.rows);
    for (let r = 0; r < batch.rows; r++) {
      let z = 0;
      for (let c = 0; c < batch.width; c++) z += (this.weights[c] ?? 0) * batch.values[r * batch.width + c]!;
      out[r] = 1 / (1 + Math.exp(-z));
    }
    return Promise.resolve(out);
  }
}
