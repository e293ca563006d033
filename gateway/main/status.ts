// What the gateway tells about itself: Prometheus series (/metrics) and the retained
// gateway/info and gateway/state topics.

import type { RadioWatchdog } from '../ble/radio-watchdog.js';
import type { BackgroundEidCounts } from '../identity/background-eid.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import { createMetrics, type Metrics, type SyncProbe } from '../metrics.js';
import { GatewayStatus } from '../mqtt/gateway-status.js';
import type { Topics } from '../mqtt/topics.js';
import { PACKAGE_VERSION } from '../package-root.js';
import type { Clock, MessageBus, ModelIdentity, RadioControl } from '../ports.js';

export interface MetricSources {
  readonly bus: Pick<MessageBus, 'isConnected'>;
  readonly store: { outboxDepth(): number };
  readonly radios: readonly RadioControl[];
  /** Read at scrape time: the parts below are made after the metrics. */
  readonly watchdogs: () => readonly RadioWatchdog[];
  readonly background: () => { counts(): BackgroundEidCounts } | undefined;
  readonly sync: () => SyncProbe | undefined;
}

/** The gateway's metrics, probes wired to the running parts. */
export function gatewayMetrics(sources: MetricSources): Metrics {
  const { bus, store, radios } = sources;
  return createMetrics({
    gattReads: () => {
      const counts = sources.background()?.counts();
      return counts === undefined
        ? undefined
        : { started: counts.readsStarted, succeeded: counts.readsSucceeded, failed: counts.readsFailed, cache_hit: counts.cacheHits, backoff: counts.skippedBackoff, banned: counts.skippedBanned, busy: counts.skippedBusy };
    },
    mqttConnected: () => bus.isConnected(),
    outboxDepth: () => store.outboxDepth(),
    sync: sources.sync,
    radios: () =>
      radios.map((radio, i) => ({
        receiverId: radio.receiverId,
        scanning: radio.state() === 'scanning',
        silentSeconds: Math.round((sources.watchdogs()[i]?.silentFor() ?? 0) / 1000),
      })),
  });
}

/** vitrin_model_info: one series, the model in use. */
export function showModel(metrics: Metrics, model: ModelIdentity): void {
  metrics.model.reset();
  metrics.model.set({ id: model.id, version: model.version, sha256: model.sha256.slice(0, 12) }, 1);
}

export interface StatusFacts {
  readonly storeId: string;
  readonly simulated: boolean;
  readonly model: ModelIdentity;
  readonly configDigest: string;
  readonly clock: Clock;
}

/** gateway/info and gateway/state, announced now and withdrawn when `stack` stops. */
export async function startStatus(bus: MessageBus, topics: Topics, facts: StatusFacts, log: Logger, stack: LifecycleStack): Promise<GatewayStatus> {
  const { model } = facts;
  const status = new GatewayStatus(
    bus,
    topics,
    {
      schema: 'vitrin.info/1',
      version: PACKAGE_VERSION,
      storeId: facts.storeId,
      simulated: facts.simulated,
      model: { id: model.id, version: model.version, sha256: model.sha256 },
      configDigest: facts.configDigest,
      startedAt: new Date(facts.clock.now()).toISOString(),
    },
    log.child({ module: 'status' }),
  );
  await stack.start('status', () => status.start(), () => status.stop());
  return status;
}
