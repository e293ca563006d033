import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import { parseManifest, type ModelManifest } from '../../gateway/scoring/manifest.js';
import { decodeOnnxModel, type OnnxModel } from './onnx-model.js';
import { openScorer, trialScores, type OnnxScorer } from './onnx-session.js';
import { planReading, type PlanResult } from './read-plan.js';
import { removeZipMaps, type RemovedZipMap } from './zipmap.js';
import { probeInChild } from './runtime-probe.js';

export type { OnnxScorer } from './onnx-session.js';

/** A model package's two files. */
export interface PackageFiles {
  readonly model: string;
  readonly manifest: string;
}

/** A model file read and understood, before ONNX Runtime sees it. */
export interface PreparedModel {
  readonly model: OnnxModel;
  /** What ONNX Runtime loads: the file's bytes, or the rewrite without ZipMap. */
  readonly runtimeBytes: Uint8Array;
  readonly removed: readonly RemovedZipMap[];
  readonly reading: PlanResult;
  /** Problems with the model itself (VITRIN_ERR_MODEL_UNSUPPORTED). */
  readonly unsupported: readonly string[];
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readManifestFile(file: string): Promise<ModelManifest> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `cannot read ${file}`, { cause });
  }
  const parsed = parseManifest(json);
  if (parsed.manifest === undefined) throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `${file} is not a valid manifest`, { details: parsed.problems });
  return parsed.manifest;
}

export async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_MODEL_LOAD', `cannot read ${file}`, { cause });
  }
}

/** Decodes the model, removes a ZipMap, and plans how to read it; throws VITRIN_ERR_MODEL_FORMAT for a file that is not ONNX. */
export function prepareModel(bytes: Uint8Array, file: string, manifest: ModelManifest | undefined): PreparedModel {
  const model = decodeOnnxModel(bytes, file);
  const rewrite = removeZipMaps(model);
  const reading = planReading(model, rewrite.removed, manifest);
  const stuck = rewrite.problems.filter((p) => p.output === reading.plan?.output).map((p) => p.problem);
  return { model, runtimeBytes: rewrite.bytes ?? bytes, removed: rewrite.removed, reading, unsupported: [...stuck, ...reading.unsupported] };
}

/** Throws VITRIN_ERR_MODEL_UNSUPPORTED or VITRIN_ERR_MODEL_MISMATCH, listing every problem, unless the model can be read. */
export function assertReadable(prepared: PreparedModel, what: string): NonNullable<PlanResult['plan']> {
  const { unsupported, reading } = prepared;
  if (unsupported.length > 0 || reading.plan === undefined) {
    throw new VitrinError('VITRIN_ERR_MODEL_UNSUPPORTED', `${what} cannot be scored`, { details: [...unsupported, ...reading.mismatch] });
  }
  if (reading.mismatch.length > 0) throw new VitrinError('VITRIN_ERR_MODEL_MISMATCH', `${what} does not match its manifest`, { details: reading.mismatch });
  return reading.plan;
}

/**
 * Reads, checks and opens a model package. The Scorer comes back only when every
 * check passed: manifest, sha256 of the file's bytes, the graph against the manifest,
 * ONNX Runtime's view, and a trial run on default features. Otherwise it throws a
 * VitrinError with a code and leaves nothing open, so a caller holding a working
 * model keeps it.
 */
export interface LoadOptions {
  /** Open and try the model in a child process first (runtime-probe.ts): what the running gateway does. */
  readonly isolate?: boolean;
}

export async function loadModelPackage(files: PackageFiles, log: Logger, options: LoadOptions = {}): Promise<OnnxScorer> {
  const manifest = await readManifestFile(files.manifest);
  const bytes = await readModelFile(files.model);
  const sha256 = sha256Hex(bytes);
  if (sha256 !== manifest.sha256) {
    throw new VitrinError('VITRIN_ERR_MODEL_CHECKSUM', `${files.model} has sha256 ${sha256}, the manifest says ${manifest.sha256}`);
  }
  const what = `model ${manifest.id}@${manifest.version}`;
  const prepared = prepareModel(bytes, files.model, manifest);
  const plan = assertReadable(prepared, what);
  const identity = { id: manifest.id, version: manifest.version, sha256 };
  if (options.isolate === true) {
    await probeInChild({ bytes: prepared.runtimeBytes, file: files.model, plan, model: identity, features: manifest.features, width: manifest.features.length });
  }
  const scorer = await openScorer(prepared.runtimeBytes, files.model, plan, identity, manifest.features);
  try {
    await trialScores(scorer, manifest.features.length);
  } catch (err) {
    await scorer.stop();
    throw err;
  }
  log.info(
    { model: manifest.id, version: manifest.version, sha256: sha256.slice(0, 12), features: manifest.features.length, producer: prepared.model.producer, read: plan.description },
    'model loaded',
  );
  return scorer;
}

/** Loads `<dir>/model.onnx` against `<dir>/manifest.json`. */
export async function loadOnnxScorer(dir: string, log: Logger, options: LoadOptions = {}): Promise<OnnxScorer> {
  return loadModelPackage({ model: join(dir, 'model.onnx'), manifest: join(dir, 'manifest.json') }, log, options);
}
