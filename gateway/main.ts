// The composition root: the only module that knows every part. It builds the
// adapters, then the pipeline and the HTTP app, starts them in order and stops
// them in reverse. Everything else receives what it needs through its constructor.

import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ReplayClock } from '../adapters/ble-replay/replay-clock.js';
import { ReplaySource } from '../adapters/ble-replay/replay-source.js';
import { SystemClock } from '../adapters/clock/system-clock.js';
import { EmbeddedBroker } from '../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../adapters/mqtt/mqtt-bus.js';
import { loadModelPackage, loadOnnxScorer } from '../adapters/onnx/onnx-scorer.js';
import { checkModelFile } from '../adapters/onnx/model-report.js';
import { SimulatedStore } from '../adapters/simulator/simulated-store.js';
import { SqliteEventStore } from '../adapters/sqlite/sqlite-event-store.js';
import { SqliteRosterStore } from '../adapters/sqlite/sqlite-roster-store.js';
import { SdNotifier } from '../adapters/systemd/sd-notify.js';
import { HttpCloudTransport } from '../adapters/cloud-http/http-cloud-transport.js';
import { SqliteSyncStore } from '../adapters/sqlite/sqlite-sync-store.js';
import { linuxHost } from '../adapters/host/linux-host.js';
import { probeHciSocket } from '../adapters/ble-noble/hci-probe.js';
import type { DoctorHost } from './doctor/host.js';
import { NobleSource } from '../adapters/ble-noble/noble-source.js';
import { NobleGattReader } from '../adapters/ble-noble/gatt-reader.js';
import { BackgroundEidReader } from './identity/background-eid.js';
import { CardFlow } from './cards/card-flow.js';
import { FeedbackIntake } from './cards/feedback-intake.js';
import { RecentCards } from './cards/recent-cards.js';
import { loadCatalog } from './catalog/load-catalog.js';
import { LiveFeed } from './cards/live-feed.js';
import { PosDelivery } from './cards/pos-delivery.js';
import type { Config } from './config/schema.js';
import { configDigest } from './config/secrets.js';
import { VitrinError } from './errors.js';
import { buildApp } from './http/app.js';
import { demoRoster } from './identity/demo-roster.js';
import { MemberEraser } from './identity/erasure.js';
import { Resolver } from './identity/resolver.js';
import { RosterCipher } from './identity/roster-cipher.js';
import { loadRosterKey } from './identity/roster-key.js';
import { RosterVault } from './identity/roster-vault.js';
import { MemberDirectory } from './identity/member-directory.js';
import type { Member, MemberIdentity, Roster } from './identity/roster.js';
import { RequestRouter } from './mqtt/request-router.js';
import { gatewayRequestHandlers } from './mqtt/gateway-requests.js';
import { ScorerHolder } from './scoring/scorer-holder.js';
import type { StoreCatalog } from './catalog/store-catalog.js';
import { catalogApplier } from './sync/catalog-applier.js';
import { forgetSyncedModel, loadStartModel, modelApplier } from './sync/model-applier.js';
import { rosterApplier } from './sync/roster-applier.js';
import { SyncService } from './sync/sync-service.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { LifecycleStack } from './lifecycle.js';
import { createRootLogger, RecentProblems, type Logger } from './log.js';
import { TabletRegistry } from './advisor/tablets.js';
import { createMetrics } from './metrics.js';
import { GatewayStatus } from './mqtt/gateway-status.js';
import { HealthPublisher, type HealthSnapshot } from './mqtt/health-publisher.js';
import { embeddedAccessPlan } from './mqtt/access.js';
import { BrokerLogins, newGatewayLogin, type GatewayLogin } from './mqtt/broker-logins.js';
import { topicsFor } from './mqtt/topics.js';
import { PACKAGE_ROOT, PACKAGE_VERSION } from './package-root.js';
import { Pipeline } from './pipeline.js';
import type { AdvertisementSource, Clock, RosterStore } from './ports.js';
import { PresenceTracker } from './presence/tracker.js';
import type { ReplayObserver, ReplayOutcome } from './ble/capture-reports.js';
import { decodeAdvertisement } from './ble/decode.js';
import { MergedSource } from './ble/merged-source.js';
import { RadioWatchdog } from './ble/radio-watchdog.js';
import { SightingForwarder } from './ble/sighting-forwarder.js';
import { SightingsSource } from './ble/sightings-source.js';
import { EspresenseSource } from './ble/espresense-source.js';

/** `vitrin replay`: a capture instead of the radio, on the capture's own timeline. */
export interface ReplayRequest {
  readonly file: string;
  /** 0: as fast as possible. */
  readonly speed: number;
  readonly receiverId: string;
  readonly observer?: ReplayObserver;
}

export interface GatewayOptions {
  readonly loaded: LoadedConfig;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly replay?: ReplayRequest;
}

export interface RunningGateway {
  readonly log: Logger;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly simulated: boolean;
  /** Replay only: resolves when the whole capture has been fed. */
  readonly replayFinished?: Promise<ReplayOutcome>;
  stop(): Promise<void>;
}

function hasBluetoothAdapter(): boolean {
  const dir = '/sys/class/bluetooth';
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('hci'));
}

interface SourceChoice {
  /** The simulator or a replay, started last; undefined when the radios are the source. */
  readonly source?: AdvertisementSource;
  /** The local adapters, already started, for the watchdog, metrics and readiness. */
  readonly radios: readonly NobleSource[];
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

/** `vitrin model check`: how the ONNX adapter would load a model file, as a report. */
/** `vitrin model check`: ONNX Runtime tries the model in a child process, so a file that makes it abort is reported, not fatal. */
export const checkModel = (file: string, manifestFile?: string): ReturnType<typeof checkModelFile> => checkModelFile(file, manifestFile, { isolate: true });

/** `vitrin doctor`: the machine's answers (Linux facts, and the HCI socket as noble's binding opens it). */
export function doctorHost(): DoctorHost {
  return { ...linuxHost(), hciSocket: probeHciSocket };
}

/** The roster at rest in the data directory's SQLite file; `vitrin roster import` writes it too. */
export function openRosterStore(dataDir: string): RosterStore {
  return new SqliteRosterStore({ dataDir });
}

interface LoadedRoster {
  readonly roster: Roster;
  /** Demo members, profiles included; stored members' profiles stay in the vault. */
  readonly inMemory: readonly Member[];
  readonly vault?: RosterVault;
}

/**
 * The stored roster, opened with the roster key; demo mode adds its seeded members.
 * Outside demo mode the key is required: identity keys are never kept in the clear.
 */
async function loadRoster(config: Config, env: NodeJS.ProcessEnv, clock: Clock, log: Logger, stack: LifecycleStack): Promise<LoadedRoster> {
  const key = loadRosterKey(env);
  const demo = config.mode === 'demo';
  if (key === undefined && !demo) {
    throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'production mode needs the roster key (systemd credential roster-key, or VITRIN_ROSTER_KEY): identity keys are stored encrypted');
  }
  let stored: MemberIdentity[] = [];
  let vault: RosterVault | undefined;
  let k = config.identity.rotationExponent;
  if (key !== undefined) {
    const store = openRosterStore(resolve(config.data.dir));
    await stack.start('roster store', () => store.start(), () => store.stop());
    vault = new RosterVault({ store, cipher: new RosterCipher(key), clock, log: log.child({ module: 'roster' }) });
    stored = vault.loadAll();
    k = vault.rotationExponent() ?? k;
  }
  const seeded = demo ? demoRoster(config.simulator.seed, Math.max(config.simulator.members, 1), k).members : [];
  log.info({ stored: stored.length, demo: seeded.length, rotationExponent: k }, 'roster loaded');
  return { roster: { rotationExponent: k, members: [...seeded, ...stored] }, inMemory: seeded, ...(vault === undefined ? {} : { vault }) };
}

function modelDir(dir: string): string {
  return isAbsolute(dir) ? dir : join(PACKAGE_ROOT, dir);
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

/**
 * Receiver mode, for large stores: this box's adapters only, forwarding frames in the
 * app's formats to the main gateway's broker. No roster, no store, no cards here.
 */
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

interface CloudSyncParts {
  readonly config: Config;
  readonly events: SqliteEventStore;
  readonly store: SqliteSyncStore;
  readonly transport: HttpCloudTransport | undefined;
  readonly vault: RosterVault | undefined;
  readonly eraser: MemberEraser;
  readonly rotationExponent: number;
  readonly setCatalog: (catalog: StoreCatalog) => void;
  readonly scorer: ScorerHolder;
  readonly metrics: ReturnType<typeof createMetrics>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Cloud sync (docs/sync-protocol.md): the outbox up; signed roster deltas, catalogs and models down, each applied through the part that owns it. */
function cloudSync(parts: CloudSyncParts): SyncService {
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
      model: modelApplier({ dataDir, swap: (files) => parts.scorer.swap(() => loadModelPackage(files, modelLog, { isolate: true })), log: modelLog }),
    },
    metrics: parts.metrics,
    clock: parts.clock,
    log: syncLog,
  });
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

    const { roster, inMemory, vault } = await loadRoster(config, env, clock, log, stack);
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

    let mqttUrl = config.mqtt.url;
    let gatewayLogin: GatewayLogin | undefined;
    if (mqttUrl === '') {
      // Logins and topic rules from config; the gateway itself logs in with a password made up for this run.
      const plan = embeddedAccessPlan(config);
      if (plan.warning !== undefined) log.warn({ anonymous: plan.anonymous }, plan.warning);
      gatewayLogin = newGatewayLogin(config.mqtt.clientId);
      const { tls } = config.mqtt;
      const broker = new EmbeddedBroker({
        ...config.mqtt.embedded,
        ...(tls.cert === '' ? {} : { tls: { host: tls.host, port: tls.port, certFile: tls.cert, keyFile: tls.key } }),
        access: new BrokerLogins(plan, gatewayLogin),
        log: log.child({ module: 'broker' }),
      });
      await stack.start('broker', () => broker.start(), () => broker.stop());
      const { port } = broker.address();
      const listen = config.mqtt.embedded.host;
      const host = listen === '0.0.0.0' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
      mqttUrl = `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`;
    }
    const bus = mqttBus(config, mqttUrl, topics.state, log, gatewayLogin);
    await stack.start('mqtt', () => bus.start(), () => bus.stop());

    const modelLog = log.child({ module: 'model' });
    const scorer = new ScorerHolder(await loadStartModel(resolve(config.data.dir), modelDir(config.model.dir), (dir) => loadOnnxScorer(dir, modelLog, { isolate: true }), modelLog), modelLog, (model) => {
      status.updateModel(model);
      metrics.model.reset();
      metrics.model.set({ id: model.id, version: model.version, sha256: model.sha256.slice(0, 12) }, 1);
    });
    stack.onStop('model', () => scorer.stop());
    /** Loads the package in model.dir again (store IT replaced it), and starts on it from now on; the model in use stays if it fails. */
    const reloadModel = async () => {
      const model = await scorer.swap(() => loadOnnxScorer(modelDir(config.model.dir), modelLog, { isolate: true }));
      forgetSyncedModel(resolve(config.data.dir));
      return model;
    };

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

    const watchdogs: RadioWatchdog[] = [];
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
    for (const radio of radios) {
      const watchdog = new RadioWatchdog({
        radio,
        silenceMs: config.ble.watchdogSeconds * 1000,
        clock,
        log: log.child({ module: 'ble-watchdog' }),
        onAction: (action) => metrics.radioWatchdog.inc({ receiver: radio.receiverId, action }),
      });
      radio.onAdvertisement(() => watchdog.heard());
      watchdogs.push(watchdog);
      await stack.start(`watchdog ${radio.receiverId}`, () => watchdog.start(), () => watchdog.stop());
    }

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
    const sync = cloudSync({ config, events: store, store: syncStore, transport: cloud, vault, eraser, rotationExponent: roster.rotationExponent, setCatalog, scorer, metrics, clock, log });
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
        reload: () => {
          const next = loadConfig({ file: options.loaded.files[1], env }).config;
          const changed = Object.keys(next).filter((key) => JSON.stringify(next[key as keyof Config]) !== JSON.stringify(config[key as keyof Config]));
          const applied: string[] = [];
          if (changed.includes('cards')) {
            cards.reconfigure(next.cards);
            applied.push('cards');
          }
          // Everything else is wired into running parts (sockets, radios, loggers made at start): a restart applies it.
          const restartNeeded = changed.filter((key) => key !== 'cards');
          log.info({ applied, restartNeeded }, 'config reloaded');
          return { applied, restartNeeded };
        },
      }),
    });

    const feedback = new FeedbackIntake({
      bus,
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
    const app = buildApp({
      log: log.child({ module: 'http' }),
      registry: metrics.registry,
      readiness,
      store: { name: config.store.name, simulated },
      advisor: {
        tablets,
        live,
        store: { name: config.store.name, simulated },
        feedback: (value, tablet) => {
          const outcome = feedback.apply(value, { kind: 'tablet', id: tablet.id, zones: tablet.zones });
          // Published like a till's feedback, for integrators watching the store.
          if (outcome.ok) {
            bus.publish(topics.advisorFeedback(tablet.id), JSON.stringify(value), { qos: 1, contentType: 'application/json' }).catch((err: unknown) => log.warn({ err }, 'tablet feedback not published'));
          }
          return outcome;
        },
      },
      admin: {
        token: config.http.adminToken,
        openOnLoopback: config.mode === 'demo',
        eraseMember: (memberId, requestId) => eraser.erase({ memberId, source: 'admin', ...(requestId === undefined ? {} : { requestId }) }),
        reloadModel,
        tablets,
        zones: config.zones.map((z) => z.id),
        status: () => ({
          gateway: { version: PACKAGE_VERSION, storeId: config.store.id, simulated, uptimeSeconds: Math.round((clock.now() - startedAt) / 1000), members: members.memberCount(), present: tracker.present().length },
          readiness: readiness(),
          receivers: config.receivers.map((r) => {
            const radio = radios.find((x) => x.receiverId === r.id);
            const heard = source.lastHeard(r.id);
            return { id: r.id, zone: r.zone, source: radio !== undefined ? 'adapter' : simulated ? 'simulated' : 'remote', state: radio?.state() ?? null, lastHeard: heard === undefined ? null : new Date(heard).toISOString() };
          }),
          zones: config.zones.map((z) => ({ id: z.id, name: z.name, kind: z.kind, terminals: config.terminals.filter((t) => t.zone === z.id).map((t) => t.id) })),
          model: scorer.model,
          sync: sync.health(),
          recentErrors: problems?.list() ?? [],
        }),
      },
    });
    let httpUrl = '';
    await stack.start(
      'http',
      async () => {
        try {
          httpUrl = await app.listen({ host: config.http.host, port: config.http.port });
        } catch (cause) {
          throw new VitrinError('VITRIN_ERR_HTTP_LISTEN', `cannot listen on ${config.http.host}:${config.http.port}`, { cause });
        }
      },
      () => app.close(),
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
