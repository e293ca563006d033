// Cloud sync (docs/sync-protocol.md): the outbox up; signed roster deltas, catalogs and
// models down, each applied through the part that owns it.

import { resolve } from 'node:path';
import type { StoreCatalog } from '../catalog/store-catalog.js';
import type { Config } from '../config/schema.js';
import type { MemberEraser } from '../identity/erasure.js';
import type { RosterVault } from '../identity/roster-vault.js';
import type { Logger } from '../log.js';
import type { createMetrics } from '../metrics.js';
import { PACKAGE_VERSION } from '../package-root.js';
import type { Clock, EventStore } from '../ports.js';
import type { ScorerHolder, StoppableScorer } from '../scoring/scorer-holder.js';
import type { ModelFiles } from '../sync/model-applier.js';
import type { CloudTransport, SyncStore } from '../sync/sync-ports.js';
import { catalogApplier } from '../sync/catalog-applier.js';
import { modelApplier } from '../sync/model-applier.js';
import { rosterApplier } from '../sync/roster-applier.js';
import { SyncService } from '../sync/sync-service.js';

export interface CloudSyncParts {
  readonly config: Config;
  readonly events: EventStore;
  readonly store: SyncStore;
  readonly transport: CloudTransport | undefined;
  /** Opens a delivered model package (ONNX Runtime, in a child process first). */
  readonly loadModel: (files: ModelFiles, log: Logger) => Promise<StoppableScorer>;
  readonly vault: RosterVault | undefined;
  readonly eraser: MemberEraser;
  readonly rotationExponent: number;
  readonly setCatalog: (catalog: StoreCatalog) => void;
  readonly scorer: ScorerHolder;
  readonly metrics: ReturnType<typeof createMetrics>;
  readonly clock: Clock;
  readonly log: Logger;
}

export function cloudSync(parts: CloudSyncParts): SyncService {
  const { config, log } = parts;
  const dataDir = resolve(config.data.dir);
  const syncLog = log.child({ module: 'sync' });
  const modelLog = log.child({ module: 'model' });
  return new SyncService({
    settings: config.cloud,
    timezone: config.store.timezone,
    storeId: config.store.id,
    gatewayVersion: PACKAGE_VERSION,
    store: parts.store,
    events: parts.events,
    transport: parts.transport,
    appliers: {
      'roster-delta': rosterApplier({ vault: parts.vault, eraser: parts.eraser, rotationExponent: parts.rotationExponent, log: syncLog }),
      catalog: catalogApplier({ dataDir, setCatalog: parts.setCatalog, log: syncLog }),
      model: modelApplier({ dataDir, swap: (files) => parts.scorer.swap(() => parts.loadModel(files, modelLog)), log: modelLog }),
    },
    metrics: parts.metrics,
    clock: parts.clock,
    log: syncLog,
  });
}
