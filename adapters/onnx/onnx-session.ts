import ort from 'onnxruntime-node';
import { VitrinError } from '../../gateway/errors.js';
import type { FeatureBatch, FeatureSpec, ModelIdentity, Scorer } from '../../gateway/ports.js';
import { sessionProblems } from './model-check.js';
import type { ReadPlan } from './read-plan.js';

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  // One thread, no spinning: the gateway box has few cores and other work to do, and
  // batches are small; a spinning pool would burn a core between card decisions.
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The score of one row: the positive class's probability, however the model gives it. */
function rowScore(data: ort.Tensor['data'], offset: number, columns: number, plan: ReadPlan): number {
  if (plan.kind === 'label') return String(data[offset]) === plan.positiveClass ? 1 : 0;
  const value = Number(data[offset + plan.column]);
  if (plan.kind === 'probability') return value;
  if (columns === 1) return sigmoid(value);
  let max = -Infinity;
  for (let c = 0; c < columns; c++) max = Math.max(max, Number(data[offset + c]));
  let sum = 0;
  for (let c = 0; c < columns; c++) sum += Math.exp(Number(data[offset + c]) - max);
  return Math.exp(value - max) / sum;
}

function onlyValue(outputs: ort.InferenceSession.OnnxValueMapType): ort.Tensor | undefined {
  const returned = Object.values(outputs);
  return returned.length === 1 ? returned[0] : undefined;
}

/**
 * The Scorer on ONNX Runtime. It is made only by `openScorer`, after the model was
 * checked against its plan (and manifest), so `score` reads a known output.
 */
export class OnnxScorer implements Scorer {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly plan: ReadPlan,
    readonly model: ModelIdentity,
    readonly features: readonly FeatureSpec[],
  ) {}

  async score(batch: FeatureBatch): Promise<Float32Array> {
    const { plan } = this;
    // A model exported with a fixed batch of 1 (common from PyTorch) is run row by row.
    const rowsPerRun = plan.batch === 'fixed' ? 1 : Math.max(batch.rows, 1);
    const result = new Float32Array(batch.rows);
    try {
      for (let start = 0; start < batch.rows; start += rowsPerRun) {
        const rows = Math.min(rowsPerRun, batch.rows - start);
        const values = batch.values.subarray(start * batch.width, (start + rows) * batch.width);
        const feeds = { [plan.input]: new ort.Tensor('float32', values, [rows, batch.width]) };
        const outputs = await this.session.run(feeds, [plan.fetch]);
        // onnxruntime-node 1.23 files a fetched output under the name of the model's first
        // output (microsoft/onnxruntime#26865, fixed after 1.23): one fetch, one value.
        const tensor = outputs[plan.fetch] ?? onlyValue(outputs);
        if (tensor === undefined) throw new Error(`output ${plan.fetch} missing`);
        const columns = tensor.data.length / rows;
        if (!Number.isInteger(columns) || (plan.kind !== 'label' && plan.column >= columns)) {
          throw new Error(`output ${plan.fetch} has ${tensor.data.length} values for ${rows} rows; column ${plan.column} cannot be read`);
        }
        for (let r = 0; r < rows; r++) result[start + r] = rowScore(tensor.data, r * columns, columns, plan);
      }
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new VitrinError('VITRIN_ERR_MODEL_RUN', `model ${this.model.id}@${this.model.version} failed on a batch of ${batch.rows}: ${reason}`, { cause });
    }
    return result;
  }

  async stop(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Opens `bytes` (the model as ONNX Runtime should see it, ZipMap removed) and checks
 * that ONNX Runtime agrees with the plan; the session is released on any failure.
 */
export async function openScorer(bytes: Uint8Array, file: string, plan: ReadPlan, model: ModelIdentity, features: readonly FeatureSpec[]): Promise<OnnxScorer> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `ONNX Runtime cannot load ${file}: ${reason}`, { cause });
  }
  const problems = sessionProblems(session.inputMetadata, session.outputMetadata, plan);
  if (problems.length > 0) {
    await session.release();
    throw new VitrinError('VITRIN_ERR_MODEL_UNSUPPORTED', `ONNX Runtime reads ${file} differently from Vitrin`, { details: problems });
  }
  return new OnnxScorer(session, plan, model, features);
}

/**
 * Scores rows of default features, so that a model which loads but cannot run, or
 * whose "probabilities" are not, is refused before it replaces a working one.
 */
export async function trialScores(scorer: OnnxScorer, width: number): Promise<Float32Array> {
  const defaults = scorer.features.length === width ? scorer.features.map((f) => f.default) : new Array<number>(width).fill(0);
  const rows = 2;
  const values = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) values.set(defaults, r * width);
  const scores = await scorer.score({ rows, width, values });
  const bad = [...scores].find((s) => !Number.isFinite(s) || s < 0 || s > 1);
  if (bad !== undefined) {
    throw new VitrinError('VITRIN_ERR_MODEL_MISMATCH', `model ${scorer.model.id}@${scorer.model.version} scores a row of defaults as ${bad}, not a probability`, {
      details: [`${scorer.plan.description}: is output.kind "${scorer.plan.kind}" right?`],
    });
  }
  return scores;
}
