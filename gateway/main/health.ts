// What readiness (/readyz, gateway/health) and the health snapshot are made of.

import type { Config } from '../config/schema.js';
import type { Readiness } from '../http/app.js';
import type { HealthSnapshot } from '../mqtt/health-publisher.js';
import { PACKAGE_VERSION } from '../package-root.js';
import type { Clock, MessageBus, ModelIdentity, RadioControl } from '../ports.js';

export interface HealthParts {
  readonly config: Config;
  readonly simulated: boolean;
  readonly bus: Pick<MessageBus, 'isConnected'>;
  readonly store: { isWritable(): boolean; outboxDepth(): number };
  readonly radios: readonly Pick<RadioControl, 'state'>[];
  readonly members: { memberCount(): number };
  readonly tracker: { present(): readonly unknown[] };
  readonly scorer: { readonly model: ModelIdentity };
  readonly clock: Clock;
}

export interface GatewayHealth {
  readonly startedAt: number;
  readonly readiness: () => Readiness;
  readonly snapshot: () => HealthSnapshot;
}

/** Ready: the broker connected, the database writable, a model loaded and every local adapter scanning. */
export function gatewayHealth(parts: HealthParts): GatewayHealth {
  const { config, simulated, bus, store, radios, members, tracker, scorer, clock } = parts;
  const startedAt = clock.now();
  const readiness = (): Readiness => ({ broker: bus.isConnected(), database: store.isWritable(), model: true, radio: radios.every((r) => r.state() === 'scanning') });
  const snapshot = (): HealthSnapshot => {
    const checks = readiness();
    return {
      storeId: config.store.id,
      status: Object.values(checks).every(Boolean) ? 'ready' : 'not-ready',
      checks: { ...checks },
      version: PACKAGE_VERSION,
      simulated,
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
      members: members.memberCount(),
      present: tracker.present().length,
      outboxDepth: store.outboxDepth(),
      model: { id: scorer.model.id, version: scorer.model.version, sha256: scorer.model.sha256 },
    };
  };
  return { startedAt, readiness, snapshot };
}
