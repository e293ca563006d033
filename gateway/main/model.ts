// The scoring model at start (a package synced from the cloud, else model.dir), and its
// reload when store IT replaces the package in model.dir.

import { isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { PACKAGE_ROOT } from '../package-root.js';
import type { ModelIdentity } from '../ports.js';
import { ScorerHolder, type StoppableScorer } from '../scoring/scorer-holder.js';
import { forgetSyncedModel, loadStartModel } from '../sync/model-applier.js';

export interface StartedModel {
  readonly scorer: ScorerHolder;
  /** Loads model.dir's package again and scores with it from now on; the model in use stays if it fails. */
  readonly reloadModel: () => Promise<ModelIdentity>;
}

function modelDir(dir: string): string {
  return isAbsolute(dir) ? dir : join(PACKAGE_ROOT, dir);
}

/** `loadPackage`: opens the model package in a folder (ONNX Runtime, in a child process first). */
export async function startModel(
  config: Config,
  loadPackage: (dir: string, log: Logger) => Promise<StoppableScorer>,
  onSwap: (model: ModelIdentity) => void,
  log: Logger,
  stack: LifecycleStack,
): Promise<StartedModel> {
  const modelLog = log.child({ module: 'model' });
  const dataDir = resolve(config.data.dir);
  const load = (dir: string) => loadPackage(dir, modelLog);
  const scorer = new ScorerHolder(await loadStartModel(dataDir, modelDir(config.model.dir), load, modelLog), modelLog, onSwap);
  stack.onStop('model', () => scorer.stop());
  const reloadModel = async () => {
    const model = await scorer.swap(() => load(modelDir(config.model.dir)));
    // A model chosen by hand wins over the last one synced, also after a restart.
    forgetSyncedModel(dataDir);
    return model;
  };
  return { scorer, reloadModel };
}
