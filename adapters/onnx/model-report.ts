import { basename } from 'node:path';
import { isVitrinError, type ErrorCode } from '../../gateway/errors.js';
import type { FeatureSpec } from '../../gateway/ports.js';
import type { ModelCheckReport, ModelManifest, ModelValueReport } from '../../gateway/scoring/manifest.js';
import { describeType, type OnnxValueInfo } from './onnx-model.js';
import { assertReadable, prepareModel, readManifestFile, readModelFile, sha256Hex, type PreparedModel } from './onnx-scorer.js';
import { probeInChild } from './runtime-probe.js';
import { openScorer, trialScores } from './onnx-session.js';

// `vitrin model check`: the same steps as loading a package, each failure turned into
// a line of the report instead of an exception, then a trial run on ONNX Runtime.

function valueReport(value: OnnxValueInfo): ModelValueReport {
  const { type } = value;
  return type.kind === 'tensor' && type.shape !== undefined
    ? { name: value.name, type: describeType(type), shape: [...type.shape] }
    : { name: value.name, type: describeType(type) };
}

function describe(prepared: PreparedModel): Omit<ModelCheckReport, 'ok' | 'file' | 'problems'> {
  const { model, reading } = prepared;
  const plan = reading.plan;
  return {
    producer: model.producer,
    opsets: Object.fromEntries([...model.opsets].map(([domain, version]) => [domain === '' ? 'ai.onnx' : domain, version])),
    inputs: model.graph.inputs.map(valueReport),
    outputs: model.graph.outputs.map(valueReport),
    batch: reading.batch ?? null,
    probability: plan?.description ?? null,
    ...(plan === undefined
      ? {}
      : {
          read: {
            output: plan.output,
            kind: plan.kind,
            ...(plan.kind === 'label' ? {} : { column: plan.column }),
            ...(plan.positiveClass === undefined ? {} : { positiveClass: plan.positiveClass }),
          },
        }),
  };
}

/** What loading `file` (against `manifestFile`, when given) would do, as a report; never throws a VitrinError. */
export async function checkModelFile(file: string, manifestFile?: string, options: { readonly isolate?: boolean } = {}): Promise<ModelCheckReport> {
  const empty = { file, inputs: [], outputs: [], batch: null, probability: null } as const;
  let manifest: ModelManifest | undefined;
  let bytes: Uint8Array;
  let prepared: PreparedModel;
  try {
    manifest = manifestFile === undefined ? undefined : await readManifestFile(manifestFile);
    bytes = await readModelFile(file);
    prepared = prepareModel(bytes, file, manifest);
  } catch (err) {
    if (!isVitrinError(err)) throw err;
    return { ok: false, code: err.code, ...empty, problems: [err.message, ...err.details] };
  }

  const found: { code: ErrorCode; problems: readonly string[] }[] = [];
  const sha256 = sha256Hex(bytes);
  if (manifest !== undefined && sha256 !== manifest.sha256) {
    found.push({ code: 'VITRIN_ERR_MODEL_CHECKSUM', problems: [`${file} has sha256 ${sha256}, the manifest says ${manifest.sha256}`] });
  }
  const { plan, mismatch } = prepared.reading;
  if (prepared.unsupported.length > 0 || plan === undefined) found.push({ code: 'VITRIN_ERR_MODEL_UNSUPPORTED', problems: prepared.unsupported });
  if (mismatch.length > 0) found.push({ code: 'VITRIN_ERR_MODEL_MISMATCH', problems: mismatch });
  const width = manifest?.features.length ?? plan?.width;
  if (found.length === 0 && width === undefined) {
    found.push({ code: 'VITRIN_ERR_MODEL_UNSUPPORTED', problems: ['the input does not fix its number of features: give a manifest to try the model'] });
  }

  let sample: number[] | undefined;
  if (found.length === 0 && width !== undefined) {
    try {
      const readable = assertReadable(prepared, file);
      const features: readonly FeatureSpec[] = manifest?.features ?? Array.from({ length: width }, (_, i) => ({ name: `feature${i}`, default: 0 }));
      const identity = { id: manifest?.id ?? basename(file), version: manifest?.version ?? 'unversioned', sha256 };
      if (options.isolate === true) await probeInChild({ bytes: prepared.runtimeBytes, file, plan: readable, model: identity, features, width });
      const scorer = await openScorer(prepared.runtimeBytes, file, readable, identity, features);
      try {
        sample = [...(await trialScores(scorer, width))].map((s) => Math.round(s * 1e6) / 1e6);
      } finally {
        await scorer.stop();
      }
    } catch (err) {
      if (!isVitrinError(err)) throw err;
      found.push({ code: err.code, problems: [err.message, ...err.details] });
    }
  }

  return {
    ok: found.length === 0,
    ...(found[0] === undefined ? {} : { code: found[0].code }),
    file,
    ...describe(prepared),
    ...(sample === undefined ? {} : { sample }),
    ...(manifest === undefined ? {} : { manifest: { id: manifest.id, version: manifest.version, sha256: sha256 === manifest.sha256 ? 'match' : 'differs' } }),
    problems: found.flatMap((f) => f.problems),
  };
}
