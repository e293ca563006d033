import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { FeatureBatch, FeatureSpec, ModelIdentity, Scorer } from '../../gateway/ports.js';
import { parseManifest, type ModelManifest } from '../../gateway/scoring/manifest.js';
import { modelProblems } from './model-check.js';

/**
 * The Scorer on ONNX Runtime. A model is used only after its sha256 and its
 * inputs and outputs match its manifest; otherwise loading fails with a code and
 * the caller keeps whatever model it had.
 */
export class OnnxScorer implements Scorer {
  readonly model: ModelIdentity;
  readonly features: readonly FeatureSpec[];

  constructor(
    private readonly session: ort.InferenceSession,
    readonly manifest: ModelManifest,
  ) {
    this.model = { id: manifest.id, version: manifest.version, sha256: manifest.sha256 };
    this.features = manifest.features;
  }

  async score(batch: FeatureBatch): Promise<Float32Array> {
    const { input, output } = this.manifest;
    // A model exported with a fixed batch of 1 (common from PyTorch) is run row by row.
    const rowsPerRun = input.batch === 'fixed' ? 1 : batch.rows;
    const result = new Float32Array(batch.rows);
    try {
      for (let start = 0; start < batch.rows; start += rowsPerRun) {
        const rows = Math.min(rowsPerRun, batch.rows - start);
        const values = batch.values.subarray(start * batch.width, (start + rows) * batch.width);
        const feeds = { [input.name]: new ort.Tensor('float32', values, [rows, batch.width]) };
        const outputs = await this.session.run(feeds, [output.name]);
        const tensor = outputs[output.name];
        if (tensor === undefined) throw new Error(`output ${output.name} missing`);
        const data = tensor.data as Float32Array;
        const columns = data.length / rows;
        for (let r = 0; r < rows; r++) {
          const value = data[r * columns + output.column]!;
          result[start + r] = output.kind === 'logit' ? 1 / (1 + Math.exp(-value)) : value;
        }
      }
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_MODEL_RUN', `model ${this.model.id}@${this.model.version} failed on a batch of ${batch.rows}`, { cause });
    }
    return result;
  }

  async stop(): Promise<void> {
    await this.session.release();
  }
}

async function readManifest(dir: string): Promise<ModelManifest> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `cannot read ${join(dir, 'manifest.json')}`, { cause });
  }
  const parsed = parseManifest(json);
  if (parsed.manifest === undefined) {
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `${join(dir, 'manifest.json')} is not a valid manifest`, { details: parsed.problems });
  }
  return parsed.manifest;
}

/** Loads `<dir>/model.onnx` against `<dir>/manifest.json`. */
export async function loadOnnxScorer(dir: string, log: Logger): Promise<OnnxScorer> {
  const manifest = await readManifest(dir);
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, 'model.onnx'));
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `cannot read ${join(dir, 'model.onnx')}`, { cause });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new VitrinError('VITRIN_ERR_MODEL_CHECKSUM', `model.onnx has sha256 ${sha256}, the manifest says ${manifest.sha256}`);
  }
  let session: ort.InferenceSession;
  try {
    // One thread: the gateway box has few cores and other work to do; batches are small.
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `ONNX Runtime cannot load ${join(dir, 'model.onnx')}: ${reason}`, { cause });
  }
  const problems = modelProblems(session.inputMetadata, session.outputMetadata, manifest);
  if (problems.length > 0) {
    await session.release();
    throw new VitrinError('VITRIN_ERR_MODEL_MISMATCH', `model ${manifest.id}@${manifest.version} does not match its manifest`, { details: problems });
  }
  log.info({ model: manifest.id, version: manifest.version, sha256: sha256.slice(0, 12), features: manifest.features.length }, 'model loaded');
  return new OnnxScorer(session, manifest);
}
