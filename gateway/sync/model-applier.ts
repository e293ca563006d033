import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ModelPackageV1, type ModelPackage } from '../contracts/sync.js';
import { contractChecker } from '../contracts/validator.js';
import { isVitrinError, VitrinError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ModelIdentity } from '../ports.js';
import { parseManifest } from '../scoring/manifest.js';
import { syncFolder, writeFileAtomic } from './atomic-file.js';
import type { PackageApplier } from './downlink.js';

const checkPackage = contractChecker(ModelPackageV1);

/** The model package's two files, as the ONNX adapter loads them. */
export interface ModelFiles {
  readonly model: string;
  readonly manifest: string;
}

export interface ModelApplierDeps {
  readonly dataDir: string;
  /** Loads, checks and warms the package, then makes it the model in use; rejects (keeping the model in use) when it fails. */
  readonly swap: (files: ModelFiles) => Promise<ModelIdentity>;
  readonly log: Logger;
}

const MODELS = 'models';
const CURRENT = 'current.json';

/** The folder of the model package the cloud delivered last, if it is still there; the gateway starts on it. */
export function syncedModelDir(dataDir: string): string | undefined {
  try {
    const pointer = JSON.parse(readFileSync(join(dataDir, MODELS, CURRENT), 'utf8')) as { dir?: unknown };
    if (typeof pointer.dir !== 'string' || !/^[A-Za-z0-9._-]+$/.test(pointer.dir)) return undefined;
    const dir = join(dataDir, MODELS, pointer.dir);
    return existsSync(join(dir, 'model.onnx')) && existsSync(join(dir, 'manifest.json')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Store IT loaded model.dir by hand (`model-reload`): that choice outlives a restart, so
 * the delivered model stops being the one the gateway starts on. The next model the
 * cloud delivers takes over again.
 */
export function forgetSyncedModel(dataDir: string): void {
  rmSync(join(dataDir, MODELS, CURRENT), { force: true });
}

/**
 * The model the gateway starts on: the last one the cloud delivered, else model.dir.
 * A delivered model that no longer loads is reported and model.dir is used.
 */
export async function loadStartModel<T>(dataDir: string, shippedDir: string, load: (dir: string) => Promise<T>, log: Logger): Promise<T> {
  const synced = syncedModelDir(dataDir);
  if (synced !== undefined) {
    try {
      return await load(synced);
    } catch (err) {
      log.error({ err, dir: synced }, 'the model delivered by the cloud does not load; starting on model.dir');
    }
  }
  return load(shippedDir);
}

function parsePackage(body: Buffer): { readonly pkg: ModelPackage; readonly manifestText: string; readonly model: Buffer; readonly id: string; readonly version: string } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', 'the model package is not JSON', { cause });
  }
  const problems = checkPackage(value);
  if (problems.length > 0) throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', 'the model package breaks vitrin.model-package/1', { details: problems.slice(0, 20) });
  const pkg = value as ModelPackage;
  const parsed = parseManifest(pkg.manifest);
  if (parsed.manifest === undefined) throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', 'the model package has no valid manifest', { details: parsed.problems });
  const model = Buffer.from(pkg.model, 'base64');
  const sha256 = createHash('sha256').update(model).digest('hex');
  if (sha256 !== parsed.manifest.sha256) throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', `the model in the package has sha256 ${sha256}, its manifest says ${parsed.manifest.sha256}`);
  return { pkg, manifestText: `${JSON.stringify(pkg.manifest, null, 2)}\n`, model, id: parsed.manifest.id, version: parsed.manifest.version };
}

/**
 * A model package: model bytes and manifest, written to their own folder under
 * <data.dir>/models, then loaded, checked and swapped in by the scorer holder. A model
 * that fails keeps the one in use and its folder is removed; one that works becomes
 * the model the gateway starts on, and older delivered folders are cleared.
 */
export function modelApplier(deps: ModelApplierDeps): PackageApplier {
  return {
    apply: async (body, envelope) => {
      const parsed = parsePackage(body);
      const root = join(deps.dataDir, MODELS);
      const name = `v${envelope.version}-${parsed.id.replace(/[^A-Za-z0-9._-]/g, '_')}`;
      const dir = join(root, name);
      try {
        mkdirSync(root, { recursive: true, mode: 0o700 });
        const staging = join(root, `.${name}.staging`);
        rmSync(staging, { recursive: true, force: true });
        mkdirSync(staging, { mode: 0o700 });
        writeFileAtomic(join(staging, 'model.onnx'), parsed.model);
        writeFileAtomic(join(staging, 'manifest.json'), parsed.manifestText);
        rmSync(dir, { recursive: true, force: true });
        renameSync(staging, dir);
        syncFolder(root);
      } catch (cause) {
        throw new VitrinError('VITRIN_ERR_PACKAGE_APPLY', `the model package cannot be written to ${root}`, { cause });
      }
      let model: ModelIdentity;
      try {
        model = await deps.swap({ model: join(dir, 'model.onnx'), manifest: join(dir, 'manifest.json') });
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        const reason = err instanceof Error ? err.message : String(err);
        throw new VitrinError('VITRIN_ERR_PACKAGE_APPLY', `model ${parsed.id}@${parsed.version} does not load; the model in use stays: ${reason}`, {
          cause: err,
          details: isVitrinError(err) ? [err.code, ...err.details] : [],
        });
      }
      const previous = syncedModelDir(deps.dataDir);
      writeFileAtomic(join(root, CURRENT), JSON.stringify({ dir: name, version: envelope.version }));
      // Keep the one before as well: a model in flight on the old session may still be reading its folder.
      for (const entry of readdirSync(root)) {
        const path = join(root, entry);
        if (entry === CURRENT || path === dir || path === previous) continue;
        rmSync(path, { recursive: true, force: true });
      }
      deps.log.info({ model: model.id, version: model.version }, 'model from the cloud in use');
      return `model ${model.id}@${model.version} in use`;
    },
  };
}
