import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RadioProbe {
  readonly receiverId: string;
  readonly scanning: boolean;
  readonly silentSeconds: number;
}

export interface MetricProbes {
  readonly mqttConnected: () => boolean;
  readonly outboxDepth: () => number;
  /** The local Bluetooth adapters; none for the simulator and replays. */
  readonly radios?: () => readonly RadioProbe[];
  /** Cumulative GATT reads of background iOS devices by outcome; undefined when the path is off. */
  readonly gattReads?: () => Readonly<Record<string, number>> | undefined;
  /** Cloud sync's outbox and packages; undefined before it runs. */
  readonly sync?: () => SyncProbe | undefined;
}

export interface SyncProbe {
  readonly outboxOldestAgeSeconds: number;
  readonly outboxPendingBytes: number;
  /** Seconds since the epoch of the last batch the cloud acknowledged; undefined: none since start. */
  readonly uplinkLastSuccess: number | undefined;
  /** Records dropped by the disk cap since the database was made, by tier. */
  readonly dropped: Readonly<Record<string, number>>;
  /** The last package version taken, by kind. */
  readonly packageVersions: Readonly<Record<string, number>>;
}

/** Every Prometheus series Vitrin exports; all names start with `vitrin_`. Probes are read at scrape time. */
export function createMetrics(probes: MetricProbes) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vitrin_process_' });
  const registers = [registry];
  return {
    registry,
    advertisements: new Counter({
      name: 'vitrin_advertisements_total',
      help: 'Advertising reports by outcome: member, stranger (an identifier of nobody here), other (no identifier), ambiguous (an iBeacon prefix two members share), background (an iOS background advert whose EID must be read over GATT).',
      labelNames: ['result'] as const,
      registers,
    }),
    moments: new Counter({ name: 'vitrin_moments_total', help: 'Presence transitions by kind.', labelNames: ['kind'] as const, registers }),
    cards: new Counter({
      name: 'vitrin_cards_total',
      help: 'Card decisions by outcome: shown, held_out (holdout group), skipped as cooldown, daily-cap, paid, dismissed, erased or quiet; unscored (the model failed, the card went out in rule order); failed.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    membersPresent: new Gauge({ name: 'vitrin_members_present', help: 'Members currently in the store.', registers }),
    modelSeconds: new Histogram({
      name: 'vitrin_model_inference_seconds',
      help: 'Time for one scoring batch in ONNX Runtime.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    mqttConnected: new Gauge({
      name: 'vitrin_mqtt_connected',
      help: '1 while connected to the MQTT broker.',
      registers,
      collect() {
        this.set(probes.mqttConnected() ? 1 : 0);
      },
    }),
    radioScanning: new Gauge({
      name: 'vitrin_ble_adapter_scanning',
      help: '1 while the local Bluetooth adapter of this receiver is scanning.',
      labelNames: ['receiver'] as const,
      registers,
      collect() {
        for (const radio of probes.radios?.() ?? []) this.set({ receiver: radio.receiverId }, radio.scanning ? 1 : 0);
      },
    }),
    radioSilence: new Gauge({
      name: 'vitrin_ble_adapter_silent_seconds',
      help: 'Seconds since the adapter last delivered an advertisement.',
      labelNames: ['receiver'] as const,
      registers,
      collect() {
        for (const radio of probes.radios?.() ?? []) this.set({ receiver: radio.receiverId }, radio.silentSeconds);
      },
    }),
    radioWatchdog: new Counter({
      name: 'vitrin_ble_watchdog_actions_total',
      help: 'Watchdog actions on a silent adapter: restart-scan, reset-adapter.',
      labelNames: ['receiver', 'action'] as const,
      registers,
    }),
    sightings: new Counter({
      name: 'vitrin_sightings_messages_total',
      help: 'Sightings messages from remote receivers by outcome: accepted, invalid, unknown-receiver.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    espresense: new Counter({
      name: 'vitrin_espresense_messages_total',
      help: 'ESPresense node messages by outcome: accepted (the app iBeacon), other (any other device, dropped unread), invalid, unknown-room.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    model: new Gauge({
      name: 'vitrin_model_info',
      help: 'The model in use: 1 for its id, version and sha256 prefix.',
      labelNames: ['id', 'version', 'sha256'] as const,
      registers,
    }),
    feedback: new Counter({
      name: 'vitrin_feedback_total',
      help: 'Feedback about cards by outcome: shown, accepted, dismissed, purchased; invalid or unknown-card when refused.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    gattReads: new Counter({
      name: 'vitrin_ios_gatt_reads_total',
      help: 'Background iOS devices: GATT reads by outcome (started, succeeded, failed, cache hits, skipped for backoff, ban, busy).',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        const counts = probes.gattReads?.();
        if (counts === undefined) return;
        this.reset();
        for (const [outcome, value] of Object.entries(counts)) if (value > 0) this.inc({ outcome }, value);
      },
    }),
    outboxDepth: new Gauge({
      name: 'vitrin_outbox_depth',
      help: 'Events waiting to be sent to the cloud.',
      registers,
      collect() {
        this.set(probes.outboxDepth());
      },
    }),
    outboxOldestAge: new Gauge({
      name: 'vitrin_outbox_oldest_age_seconds',
      help: 'How long the oldest record waiting for the cloud has waited; 0 when none waits.',
      registers,
      collect() {
        const sync = probes.sync?.();
        if (sync !== undefined) this.set(sync.outboxOldestAgeSeconds);
      },
    }),
    outboxBytes: new Gauge({
      name: 'vitrin_outbox_pending_bytes',
      help: 'What the records waiting for the cloud count towards cloud.diskCapMb.',
      registers,
      collect() {
        const sync = probes.sync?.();
        if (sync !== undefined) this.set(sync.outboxPendingBytes);
      },
    }),
    outboxDropped: new Counter({
      name: 'vitrin_outbox_dropped_total',
      help: 'Undelivered records the disk cap dropped, by tier: visit (raw visit events, first), interaction (exposures, reactions, holdout records). Summaries and erasure receipts are never dropped.',
      labelNames: ['tier'] as const,
      registers,
      collect() {
        const sync = probes.sync?.();
        if (sync === undefined) return;
        this.reset();
        for (const [tier, value] of Object.entries(sync.dropped)) this.inc({ tier }, value);
      },
    }),
    uplinkLastSuccess: new Gauge({
      name: 'vitrin_uplink_last_success_timestamp_seconds',
      help: 'When the cloud last acknowledged a batch (Unix seconds); absent until it has.',
      registers,
      collect() {
        const at = probes.sync?.()?.uplinkLastSuccess;
        if (at !== undefined) this.set(at);
      },
    }),
    uplinkBytes: new Counter({ name: 'vitrin_uplink_bytes_total', help: 'Bytes of gzip uplink batches sent to the cloud, retries included.', registers }),
    uplinkRecords: new Counter({ name: 'vitrin_uplink_records_total', help: 'Records the cloud acknowledged.', registers }),
    uplinkRequests: new Counter({
      name: 'vitrin_uplink_requests_total',
      help: 'Uplink batch requests by outcome: ok, network (error, timeout, dropped connection), throttled (429), server (5xx, 408, 409), auth (401, 403), rejected (other 4xx), too-large (413).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    packagesApplied: new Counter({ name: 'vitrin_packages_applied_total', help: 'Downlink packages verified and applied, by kind.', labelNames: ['kind'] as const, registers }),
    packagesRefused: new Counter({
      name: 'vitrin_packages_refused_total',
      help: 'Downlink packages refused, by kind and reason: schema, store, signature, replay, downgrade, invalid, apply.',
      labelNames: ['kind', 'reason'] as const,
      registers,
    }),
    packageVersion: new Gauge({
      name: 'vitrin_package_version',
      help: 'The last package version taken, by kind.',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const sync = probes.sync?.();
        if (sync === undefined) return;
        for (const [kind, version] of Object.entries(sync.packageVersions)) this.set({ kind }, version);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
