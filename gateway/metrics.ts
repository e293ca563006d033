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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
