// The composition root: the only module that knows every part and the only one that
// imports adapters; the core pieces it wires are in gateway/main/ (roster, model, HTTP,
// cloud sync, config reload, radio watchdogs). It builds
// the adapters, then the pipeline and the HTTP app, starts them in order and stops
// them in reverse. Everything else receives what it needs through its constructor.

import { resolve } from 'node:path';
import { ReplayClock } from '../adapters/ble-replay/replay-clock.js';
import { ReplaySource } from '../adapters/ble-replay/replay-source.js';
import { SystemClock } from '../adapters/clock/system-clock.js';
import { SqliteEventStore } from '../adapters/sqlite/sqlite-event-store.js';
import { SdNotifier } from '../adapters/systemd/sd-notify.js';
import { HttpCloudTransport } from '../adapters/cloud-http/http-cloud-transport.js';
import { SqliteSyncStore } from '../adapters/sqlite/sqlite-sync-store.js';
import { NobleGattReader } from '../adapters/ble-noble/gatt-reader.js';
import { BackgroundEidReader } from './identity/background-eid.js';
import { CardFlow } from './cards/card-flow.js';
import { FeedbackIntake } from './cards/feedback-intake.js';
import { RecentCards } from './cards/recent-cards.js';
import { loadCatalog } from './catalog/load-catalog.js';
import { LiveFeed } from './cards/live-feed.js';
import { PosDelivery } from './cards/pos-delivery.js';
import { configDigest } from './config/secrets.js';
import { MemberEraser } from './identity/erasure.js';
import { Resolver } from './identity/resolver.js';
import { MemberDirectory } from './identity/member-directory.js';
import { RequestRouter } from './mqtt/request-router.js';
import { gatewayRequestHandlers } from './mqtt/gateway-requests.js';
import type { StoreCatalog } from './catalog/store-catalog.js';
import { LifecycleStack } from './lifecycle.js';
import { createRootLogger, RecentProblems } from './log.js';
import { TabletRegistry } from './advisor/tablets.js';
import { createMetrics } from './metrics.js';
import { GatewayStatus } from './mqtt/gateway-status.js';
import { HealthPublisher, type HealthSnapshot } from './mqtt/health-publisher.js';
import { topicsFor } from './mqtt/topics.js';
import { PACKAGE_VERSION } from './package-root.js';
import { Pipeline } from './pipeline.js';
import { PresenceTracker } from './presence/tracker.js';
import { MergedSource } from './ble/merged-source.js';
import { SightingsSource } from './ble/sightings-source.js';
import { EspresenseSource } from './ble/espresense-source.js';
import { existsSync, readdirSync } from 'node:fs';
import { EmbeddedBroker } from '../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../adapters/mqtt/mqtt-bus.js';
import { NobleSource } from '../adapters/ble-noble/noble-source.js';
import { SimulatedStore } from '../adapters/simulator/simulated-store.js';
import { SqliteRosterStore } from '../adapters/sqlite/sqlite-roster-store.js';
import { probeHciSocket } from '../adapters/ble-noble/hci-probe.js';
import { linuxHost } from '../adapters/host/linux-host.js';
import { checkModelFile } from '../adapters/onnx/model-report.js';
import { loadModelPackage, loadOnnxScorer } from '../adapters/onnx/onnx-scorer.js';
import type { DoctorHost } from './doctor/host.js';
import { decodeAdvertisement } from './ble/decode.js';
import { RadioWatchdog } from './ble/radio-watchdog.js';
import { SightingForwarder } from './ble/sighting-forwarder.js';
import type { Config } from './config/schema.js';
import { VitrinError } from './errors.js';
import type { Roster } from './identity/roster.js';
import type { Logger } from './log.js';
import { embeddedAccessPlan } from './mqtt/access.js';
import { BrokerLogins, newGatewayLogin, type GatewayLogin } from './mqtt/broker-logins.js';
import type { AdvertisementSource, Clock, RosterStore } from './ports.js';
import type { ReplayRequest } from './main/types.js';
import { cloudSync } from './main/cloud-sync.js';
import { configReloader } from './main/config-reload.js';
import { startHttp } from './main/http.js';
import { startRadioWatchdogs } from './main/radio-watchdogs.js';
import { startModel } from './main/model.js';
import { loadRoster } from './main/roster.js';
import type { GatewayOptions, RunningGateway } from './main/types.js';

export type { GatewayOptions, ReplayRequest, RunningGateway } from './main/types.js';

/** The roster at rest in the data directory's SQLite file; `vitrin roster import` writes it too. */
export function openRosterStore(dataDir: string): RosterStore {
  return new SqliteRosterStore({ dataDir });
}

/** `vitrin model check`: ONNX Runtime tries the model in a child process, so a file that makes it abort is reported, not fatal. */
export const checkModel = (file: string, manifestFile?: string): ReturnType<typeof checkModelFile> => checkModelFile(file, manifestFile, { isolate: true });

/** `vitrin doctor`: the machine's answers (Linux facts, and the HCI socket as noble's binding opens it). */
export function doctorHost(): DoctorHost {
  return { ...linuxHost(), hciSocket: probeHciSocket };
}

interface SourceChoice {
  /** The simulator or a replay, started last; undefined when the radios are the source. */
  readonly source?: AdvertisementSource;
  /** The local adapters, already started, for the watchdog, metrics and readiness. */
  readonly radios: readonly NobleSource[];
}

function hasBluetoothAdapter(): boolean {
  const dir = '/sys/class/bluetooth';
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('hci'));
}

function simulatedStore(config: Config, roster: Roster, clock: Clock, log: Logger): SourceChoice {
  if (config.mode !== 'demo') {
    throw new VitrinError('VITRIN_ERR_BLE_SOURCE', 'the simulated store runs in demo mode only; set mode: demo, or ble.source: radio');
  }
  const source = new SimulatedStore({
    settings: config.simulator,
    roster,
    appUuid: config.identity.appUuid.toLowerCase(),
    zones: config.zones,
    receivers: config.receivers,
    clock,
    log: log.child({ module: 'simulator' }),
  });
  return { source, radios: [] };
}

/** One local adapter as configured (the first, or the one reporting as `receiverId`), not started: for `vitrin record`. */
export function openRadio(config: Config, receiverId: string | undefined, log: Logger, clock: Clock = new SystemClock()): NobleSource {
  const { ble } = config;
  const index = receiverId === undefined ? 0 : ble.adapters.findIndex((a) => a.receiver === receiverId);
  const adapter = ble.adapters[index];
  if (adapter === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', `no adapter in ble.adapters reports as receiver ${receiverId ?? ''}`);
  return new NobleSource({
    binding: ble.binding,
    device: adapter.device,
    receiverId: adapter.receiver,
    ...(index === 0 && ble.uart !== '' ? { uart: ble.uart } : {}),
    overflowBit: config.identity.ios.overflowBit,
    startTimeoutMs: ble.startTimeoutSeconds * 1000,
    clock,
    log: log.child({ module: 'ble', receiver: adapter.receiver }),
  });
}

/**
 * The radio when one is configured or present; otherwise, in demo mode only, the
 * simulated store. In demo mode a radio that cannot start (no permission, blocked)
 * falls back to the simulator with a warning, so `npm start` works on any laptop.
 */
async function chooseSource(config: Config, roster: Roster, clock: Clock, log: Logger, stack: LifecycleStack): Promise<SourceChoice> {
  const { ble } = config;
  if (ble.source === 'simulator') return simulatedStore(config, roster, clock, log);
  const present = ble.uart !== '' || hasBluetoothAdapter();
  if (ble.source === 'auto' && !present) {
    if (config.mode === 'demo') return simulatedStore(config, roster, clock, log);
    throw new VitrinError('VITRIN_ERR_BLE_ADAPTER', 'no Bluetooth adapter found (/sys/class/bluetooth is empty): plug one in, check `rfkill list`, or set ble.uart');
  }
  const radios = ble.adapters.map((adapter) => openRadio(config, adapter.receiver, log, clock));
  try {
    for (const radio of radios) await stack.start(`radio ${radio.receiverId}`, () => radio.start(), () => radio.stop());
  } catch (err) {
    if (!(config.mode === 'demo' && ble.source === 'auto' && err instanceof VitrinError)) throw err;
    await Promise.allSettled(radios.map((radio) => radio.stop()));
    log.warn({ code: err.code, reason: err.message }, 'the Bluetooth adapter cannot be used; demo mode falls back to the simulated store');
    return simulatedStore(config, roster, clock, log);
  }
  return { radios };
}

function replaySource(request: ReplayRequest, roster: Roster, config: Config, clock: ReplayClock, log: Logger): ReplaySource {
  // The summary's own resolver: the same roster and rule as the pipeline's, counting members without touching it.
  const resolver = new Resolver(roster, config.identity.appUuid.toLowerCase());
  const observer = request.observer;
  return new ReplaySource({
    file: request.file,
    receiverId: request.receiverId,
    speed: request.speed,
    clock,
    log: log.child({ module: 'replay' }),
    ...(observer === undefined
      ? {}
      : {
          observer: {
            record: (kind, index) => observer.record(kind, index),
            report: (report, ad) => {
              const frame = decodeAdvertisement(ad.data);
              const resolution = frame === undefined ? undefined : resolver.resolve(frame, ad.receivedAt);
              observer.report(report, resolution?.status === 'member' ? resolution.member.id : undefined);
            },
          },
        }),
  });
}

/**
 * The gateway's or a receiver's MQTT connection, with a retained `offline` last will on
 * `willTopic`. `login`: the gateway's own login to its embedded broker.
 */
function mqttBus(config: Config, url: string, willTopic: string, log: Logger, login?: GatewayLogin): MqttBus {
  const { clientId, username, password, tls } = config.mqtt;
  // Receiver boxes share the gateway's broker; one client id for all would throw each other off.
  const ownClientId = config.ble.mode === 'receiver' ? `${clientId}-${config.ble.adapters[0]!.receiver}` : clientId;
  const credentials = login ?? (username === '' ? undefined : { username, password });
  return new MqttBus({
    url,
    clientId: ownClientId,
    ...(credentials === undefined ? {} : { username: credentials.username, password: credentials.password }),
    ...(tls.ca === '' || login !== undefined ? {} : { caFile: tls.ca }),
    protocolVersion: config.mqtt.protocolVersion,
    will: { topic: willTopic, payload: 'offline', qos: 1, retain: true },
    log: log.child({ module: 'mqtt' }),
    connectTimeoutMs: 10_000,
    reconnectPeriodMs: 2_000,
    // The gateway's session outlives a crash or a restart: feedback a till sent meanwhile waits at the broker.
    persistentSession: config.ble.mode !== 'receiver',
  });
}

interface BrokerChoice {
  /** Where the gateway's own client connects. */
  readonly url: string;
  /** The gateway's login to the embedded broker; undefined with an external broker. */
  readonly login?: GatewayLogin;
  /** The embedded broker, which hands tills' feedback to the gateway before acknowledging it. */
  readonly embedded?: EmbeddedBroker;
}

/** The configured broker, or (mqtt.url empty) the embedded one, started on `stack`. */
async function startBroker(config: Config, log: Logger, stack: LifecycleStack): Promise<BrokerChoice> {
  if (config.mqtt.url !== '') return { url: config.mqtt.url };
  // Logins and topic rules from config; the gateway itself logs in with a password made up for this run.
  const plan = embeddedAccessPlan(config);
  if (plan.warning !== undefined) log.warn({ anonymous: plan.anonymous }, plan.warning);
  const login = newGatewayLogin(config.mqtt.clientId);
  const { tls } = config.mqtt;
  const broker = new EmbeddedBroker({
    ...config.mqtt.embedded,
    ...(tls.cert === '' ? {} : { tls: { host: tls.host, port: tls.port, certFile: tls.cert, keyFile: tls.key } }),
    access: new BrokerLogins(plan, login),
    // A till may forget its feedback once PUBACKed: the embedded broker acknowledges it only after the gateway has committed it.
    intakeFilter: topicsFor(config.store.id).allFeedback,
    log: log.child({ module: 'broker' }),
  });
  await stack.start('broker', () => broker.start(), () => broker.stop());
  const { port } = broker.address();
  const listen = config.mqtt.embedded.host;
  const host = listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
  return { url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`, login, embedded: broker };
}

async function startReceiver(config: Config, env: NodeJS.ProcessEnv, log: Logger): Promise<RunningGateway> {
  if (config.mqtt.url === '') throw new VitrinError('VITRIN_ERR_RECEIVER_MODE', "receiver mode needs mqtt.url: the main gateway's broker");
  const clock = new SystemClock();
  const topics = topicsFor(config.store.id);
  const stateTopic = `${topics.base}receivers/${config.ble.adapters[0]!.receiver}/state`;
  const stack = new LifecycleStack(log.child({ module: 'lifecycle' }));
  const notifier = new SdNotifier({ env, log: log.child({ module: 'systemd' }) });
  try {
    const bus = mqttBus(config, config.mqtt.url, stateTopic, log);
    await stack.start('mqtt', () => bus.start(), () => bus.publish(stateTopic, 'offline', { qos: 1, retain: true }).then(() => bus.stop()));
    await bus.publish(stateTopic, 'online', { qos: 1, retain: true });
    const radios = config.ble.adapters.map((adapter) => openRadio(config, adapter.receiver, log, clock));
    const source = new MergedSource(radios);
    const forwarder = new SightingForwarder({ source, bus, topic: topics.sightings, appUuid: config.identity.appUuid.toLowerCase(), clock, log: log.child({ module: 'forwarder' }) });
    await stack.start('inputs', () => source.start(), () => source.stop());
    await stack.start('forwarder', () => forwarder.start(), () => forwarder.stop());
    for (const radio of radios) {
      await stack.start(`radio ${radio.receiverId}`, () => radio.start(), () => radio.stop());
      const watchdog = new RadioWatchdog({ radio, silenceMs: config.ble.watchdogSeconds * 1000, clock, log: log.child({ module: 'ble-watchdog' }) });
      radio.onAdvertisement(() => watchdog.heard());
      await stack.start(`watchdog ${radio.receiverId}`, () => watchdog.start(), () => watchdog.stop());
    }
    notifier.ready('receiver: forwarding sightings');
    notifier.startWatchdog(() => bus.isConnected());
    log.info({ mqtt: config.mqtt.url, receivers: radios.map((r) => r.receiverId) }, 'Vitrin receiver is forwarding sightings');
    return {
      log,
      httpUrl: '',
      mqttUrl: config.mqtt.url,
      simulated: false,
      stop: async () => {
        notifier.stopping();
        notifier.stopWatchdog();
        await stack.stopAll();
        notifier.close();
      },
    };
  } catch (err) {
    await stack.stopAll();
    notifier.close();
    throw err;
  }
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config } = options.loaded;
  if (config.ble.mode === 'receiver') return startReceiver(config, options.env ?? process.env, options.log ?? createRootLogger(config.log.level));
  const env = options.env ?? process.env;
  const replayClock = options.replay === undefined ? undefined : new ReplayClock(new SystemClock(), options.replay.speed);
  const clock = options.clock ?? replayClock ?? new SystemClock();
  const problems = options.log === undefined ? new RecentProblems() : undefined;
  const log = options.log ?? createRootLogger(config.log.level, undefined, problems);
  const digest = configDigest(config);
  log.info({ version: PACKAGE_VERSION, files: options.loaded.files, configDigest: digest, storeId: config.store.id }, 'starting Vitrin');

  const stack = new LifecycleStack(log.child({ module: 'lifecycle' }));
  const notifier = new SdNotifier({ env, log: log.child({ module: 'systemd' }) });
  try {
    const topics = topicsFor(config.store.id);

    const store = new SqliteEventStore({ dataDir: resolve(config.data.dir), log: log.child({ module: 'store' }), clock });
    await stack.start('store', () => store.start(), () => store.stop());
    const syncStore = new SqliteSyncStore({ dataDir: resolve(config.data.dir), log: log.child({ module: 'sync' }) });
    await stack.start('sync store', () => syncStore.start(), () => syncStore.stop());

    const { roster, inMemory, vault } = await loadRoster(config, openRosterStore, env, clock, log, stack);
    const members = new Resolver(roster, config.identity.appUuid.toLowerCase(), { clock });
    const directory = new MemberDirectory(members, inMemory, vault);
    await stack.start('resolver', () => members.start(), () => members.stop());
    if (vault !== undefined) {
      vault.listen((imported) =>
        imported.forEach((member) => {
          directory.forget(member.id);
          members.upsert(member);
        }),
      );
      await stack.start('roster', () => vault.start(), () => vault.stop());
    }

    const broker = await startBroker(config, log, stack);
    const mqttUrl = broker.url;
    const bus = mqttBus(config, mqttUrl, topics.state, log, broker.login);
    await stack.start('mqtt', () => bus.start(), () => bus.stop());

    const { scorer, reloadModel } = await startModel(
      config,
      // ONNX Runtime first tries each new model in a child process: a file that makes it abort is refused, not fatal.
      (dir, modelLog) => loadOnnxScorer(dir, modelLog, { isolate: true }),
      (model) => {
        status.updateModel(model);
        metrics.model.reset();
        metrics.model.set({ id: model.id, version: model.version, sha256: model.sha256.slice(0, 12) }, 1);
      },
      log,
      stack,
    );

    const choice: SourceChoice =
      options.replay !== undefined && replayClock !== undefined
        ? { source: replaySource(options.replay, roster, config, replayClock, log), radios: [] }
        : await chooseSource(config, roster, clock, log, stack);
    const { radios } = choice;
    const sightings = new SightingsSource({
      bus,
      filter: topics.allSightings,
      receivers: new Set(config.receivers.map((r) => r.id)),
      log: log.child({ module: 'sightings' }),
      onMessage: (outcome) => metrics.sightings.inc({ outcome }),
    });
    const espresense = new EspresenseSource({
      bus,
      topicPrefix: config.ble.espresense.topicPrefix,
      rooms: new Map(config.ble.espresense.rooms.map((r) => [r.room, r.receiver])),
      appUuid: config.identity.appUuid.toLowerCase(),
      clock,
      log: log.child({ module: 'espresense' }),
      onMessage: (outcome) => metrics.espresense.inc({ outcome }),
    });
    const source = new MergedSource([...(choice.source === undefined ? radios : [choice.source]), sightings, espresense]);
    const simulated = choice.source?.kind === 'simulated';
    const replay = choice.source instanceof ReplaySource ? choice.source : undefined;

    let watchdogs: RadioWatchdog[] = [];
    const metrics = createMetrics({
      gattReads: () => {
        const counts = background?.counts();
        return counts === undefined
          ? undefined
          : { started: counts.readsStarted, succeeded: counts.readsSucceeded, failed: counts.readsFailed, cache_hit: counts.cacheHits, backoff: counts.skippedBackoff, banned: counts.skippedBanned, busy: counts.skippedBusy };
      },
      mqttConnected: () => bus.isConnected(),
      outboxDepth: () => store.outboxDepth(),
      sync: () => sync.probe(),
      radios: () =>
        radios.map((radio, i) => ({
          receiverId: radio.receiverId,
          scanning: radio.state() === 'scanning',
          silentSeconds: Math.round((watchdogs[i]?.silentFor() ?? 0) / 1000),
        })),
    });
    watchdogs = await startRadioWatchdogs(radios, config, (receiver, action) => metrics.radioWatchdog.inc({ receiver, action }), clock, log, stack);

    metrics.model.set({ id: scorer.model.id, version: scorer.model.version, sha256: scorer.model.sha256.slice(0, 12) }, 1);
    const status = new GatewayStatus(
      bus,
      topics,
      {
        schema: 'vitrin.info/1',
        version: PACKAGE_VERSION,
        storeId: config.store.id,
        simulated,
        model: { id: scorer.model.id, version: scorer.model.version, sha256: scorer.model.sha256 },
        configDigest: digest,
        startedAt: new Date(clock.now()).toISOString(),
      },
      log.child({ module: 'status' }),
    );
    await stack.start('status', () => status.start(), () => status.stop());

    const tracker = new PresenceTracker(config);
    const live = new LiveFeed();
    const pos = new PosDelivery(bus, topics, config.terminals);
    await pos.publishAllPresent();
    const stopRepublishing = pos.republishOnReconnect((err) => log.warn({ err }, 'could not republish the present lists and cards'), () => clock.now());
    stack.onStop('present lists', async () => stopRepublishing());
    let catalog = loadCatalog(resolve(config.data.dir), config.mode === 'demo', log.child({ module: 'catalog' }));
    const recent = new RecentCards();
    const cards = new CardFlow({
      settings: config,
      recent,
      catalog: () => catalog,
      members: (id) => directory.get(id),
      scorer,
      pos,
      live,
      store,
      metrics,
      clock,
      log: log.child({ module: 'cards' }),
    });

    const startedAt = clock.now();
    const readiness = () => ({ broker: bus.isConnected(), database: store.isWritable(), model: true, radio: radios.every((r) => r.state() === 'scanning') });
    const ready = () => Object.values(readiness()).every(Boolean);
    const health = (): HealthSnapshot => ({
      storeId: config.store.id,
      status: ready() ? 'ready' : 'not-ready',
      checks: readiness(),
      version: PACKAGE_VERSION,
      simulated,
      uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
      members: members.memberCount(),
      present: tracker.present().length,
      outboxDepth: store.outboxDepth(),
      model: { id: scorer.model.id, version: scorer.model.version, sha256: scorer.model.sha256 },
    });
    const eraser = new MemberEraser({ storeId: config.store.id, resolver: members, directory, tracker, cards, ...(vault === undefined ? {} : { vault }), store, clock, log: log.child({ module: 'erasure' }), onErased: () => syncStore.invalidate() });
    const cloud = config.cloud.url === '' ? undefined : new HttpCloudTransport({ url: config.cloud.url, tls: config.cloud.tls });
    if (cloud !== undefined) await stack.start('cloud', () => cloud.start(), () => cloud.stop());
    const setCatalog = (next: StoreCatalog) => {
      catalog = next;
    };
    const sync = cloudSync({ config, events: store, store: syncStore, transport: cloud, loadModel: (files, modelLog) => loadModelPackage(files, modelLog, { isolate: true }), vault, eraser, rotationExponent: roster.rotationExponent, setCatalog, scorer, metrics, clock, log });
    const requests = new RequestRouter({
      bus,
      topics,
      log: log.child({ module: 'requests' }),
      handlers: gatewayRequestHandlers({
        eraser,
        tracker,
        cardOf: (memberId) => pos.cardOf(memberId),
        reloadModel,
        sync: () => sync.syncNow(),
        health: () => ({ ...health(), model: scorer.model, sync: sync.health() }),
        reload: configReloader(options.loaded.files[1], env, config, cards, log),
      }),
    });

    const feedback = new FeedbackIntake({
      bus,
      subscribe: broker.embedded === undefined,
      topics,
      recent,
      store,
      clock,
      log: log.child({ module: 'feedback' }),
      onPurchase: (memberId) => cards.purchased(memberId),
      onDismiss: (memberId) => cards.dismissed(memberId),
      onOutcome: (outcome) => metrics.feedback.inc({ outcome }),
    });
    const tablets = new TabletRegistry(resolve(config.data.dir), clock);
    const httpUrl = await startHttp(
      {
        config,
        simulated,
        startedAt,
        readiness,
        metrics,
        tablets,
        live,
        feedback,
        bus,
        topics,
        eraseMember: (memberId, requestId) => eraser.erase({ memberId, source: 'admin', ...(requestId === undefined ? {} : { requestId }) }),
        reloadModel,
        radios,
        source,
        members,
        tracker,
        scorer,
        sync,
        problems,
        clock,
        log,
      },
      stack,
    );

    // iOS members in the background need a GATT read, which only a local adapter can make.
    const background =
      radios.length > 0 && config.identity.ios.overflowBit >= 0
        ? new BackgroundEidReader({
            ios: config.identity.ios,
            rotationExponent: roster.rotationExponent,
            reader: new NobleGattReader({ hosts: radios, clock }),
            clock,
            log: log.child({ module: 'background-eid' }),
            onEid: (ad, eid) => pipeline.ingestEid(ad, eid),
            localReceivers: radios.map((r) => r.receiverId),
          })
        : undefined;
    if (background !== undefined) await stack.start('background-eid', () => background.start(), () => background.stop());
    const pipeline: Pipeline = new Pipeline({
      source,
      resolver: members,
      overflowBit: config.identity.ios.overflowBit,
      ...(background === undefined ? {} : { background }),
      tracker,
      cards,
      store,
      metrics,
      clock,
      log: log.child({ module: 'pipeline' }),
    });
    await stack.start('pipeline', () => pipeline.start(), () => pipeline.stop());
    await stack.start('requests', () => requests.start(), () => requests.stop());
    await stack.start('cloud sync', () => sync.start(), () => sync.stop());
    const healthTopic = new HealthPublisher({ bus, topic: topics.health, snapshot: health, everyMs: config.mqtt.healthSeconds * 1000, clock, log: log.child({ module: 'health' }) });
    await stack.start('health', () => healthTopic.start(), () => healthTopic.stop());
    await stack.start('feedback', () => feedback.start(), () => feedback.stop());
    const embedded = broker.embedded;
    if (embedded !== undefined) {
      await stack.start(
        'feedback intake',
        async () => embedded.attachIntake((message) => feedback.take(message)),
        async () => embedded.detachIntake(),
      );
    }
    // The radios started early (their failure decides the source); the others start last, into a running pipeline.
    await stack.start('inputs', () => source.start(), () => source.stop());
    const late = choice.source;
    if (late !== undefined) await stack.start('source', () => late.start(), () => late.stop());
    await stack.start('sightings', () => sightings.start(), () => sightings.stop());
    await stack.start('espresense', () => espresense.start(), () => espresense.stop());

    notifier.ready(simulated ? 'running on a SIMULATED store' : 'running');
    notifier.startWatchdog(() => store.isOpen());
    log.info({ http: httpUrl, mqtt: mqttUrl, simulated, members: roster.members.length }, simulated ? 'Vitrin is running on a SIMULATED store' : 'Vitrin is running');

    let stopping: Promise<void> | undefined;
    return {
      log,
      httpUrl,
      mqttUrl,
      simulated,
      ...(replay === undefined ? {} : { replayFinished: replay.finished() }),
      stop: () => {
        stopping ??= (async () => {
          notifier.stopping();
          notifier.stopWatchdog();
          await stack.stopAll();
          notifier.close();
          log.info('Vitrin stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stack.stopAll();
    notifier.close();
    throw err;
  }
}
