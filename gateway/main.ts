// The composition root: the only module that knows every part and the only one that
// imports adapters. It makes the adapters and hands them, as parts or as factories, to
// the core pieces in gateway/main/ (source choice, receiver mode, roster, model, card
// path, status and metrics, health, HTTP, cloud sync, config reload, radio watchdogs,
// shutdown); it starts everything in order and stops it in reverse.

import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { NobleGattReader } from '../adapters/ble-noble/gatt-reader.js';
import { probeHciSocket } from '../adapters/ble-noble/hci-probe.js';
import { NobleSource } from '../adapters/ble-noble/noble-source.js';
import { ReplayClock } from '../adapters/ble-replay/replay-clock.js';
import { ReplaySource } from '../adapters/ble-replay/replay-source.js';
import { SystemClock } from '../adapters/clock/system-clock.js';
import { HttpCloudTransport } from '../adapters/cloud-http/http-cloud-transport.js';
import { linuxHost } from '../adapters/host/linux-host.js';
import { EmbeddedBroker } from '../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../adapters/mqtt/mqtt-bus.js';
import { checkModelFile } from '../adapters/onnx/model-report.js';
import { loadModelPackage, loadOnnxScorer } from '../adapters/onnx/onnx-scorer.js';
import { SimulatedStore } from '../adapters/simulator/simulated-store.js';
import { SqliteEventStore } from '../adapters/sqlite/sqlite-event-store.js';
import { SqliteRosterStore } from '../adapters/sqlite/sqlite-roster-store.js';
import { SqliteSyncStore } from '../adapters/sqlite/sqlite-sync-store.js';
import { SdNotifier } from '../adapters/systemd/sd-notify.js';
import { TabletRegistry } from './advisor/tablets.js';
import { MergedSource } from './ble/merged-source.js';
import type { RadioWatchdog } from './ble/radio-watchdog.js';
import type { Config } from './config/schema.js';
import { configDigest } from './config/secrets.js';
import type { DoctorHost } from './doctor/host.js';
import { VitrinError } from './errors.js';
import { BackgroundEidReader } from './identity/background-eid.js';
import { MemberEraser } from './identity/erasure.js';
import { MemberDirectory } from './identity/member-directory.js';
import { Resolver } from './identity/resolver.js';
import type { Roster } from './identity/roster.js';
import { LifecycleStack } from './lifecycle.js';
import { createRootLogger, RecentProblems, type Logger } from './log.js';
import { embeddedAccessPlan, ownClientId } from './mqtt/access.js';
import { BrokerLogins, newGatewayLogin, type GatewayLogin } from './mqtt/broker-logins.js';
import { gatewayRequestRouter } from './mqtt/gateway-requests.js';
import { HealthPublisher } from './mqtt/health-publisher.js';
import { topicsFor } from './mqtt/topics.js';
import { PACKAGE_VERSION } from './package-root.js';
import { Pipeline } from './pipeline.js';
import type { Clock, RosterStore } from './ports.js';
import { PresenceTracker } from './presence/tracker.js';
import { startCardPath } from './main/card-path.js';
import { cloudSync } from './main/cloud-sync.js';
import { configReloader } from './main/config-reload.js';
import { gatewayHealth } from './main/health.js';
import { startHttp } from './main/http.js';
import { startModel } from './main/model.js';
import { networkSources } from './main/network-sources.js';
import { startRadioWatchdogs } from './main/radio-watchdogs.js';
import { startReceiver, type ReceiverKit } from './main/receiver.js';
import { memberTap } from './main/replay-tap.js';
import { loadRoster, takeStored } from './main/roster.js';
import { shutdown } from './main/shutdown.js';
import { chooseSource, type SourceChoice, type SourceKit } from './main/source.js';
import { gatewayMetrics, showModel, startStatus } from './main/status.js';
import type { GatewayOptions, ReplayRequest, RunningGateway } from './main/types.js';

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

function hasBluetoothAdapter(): boolean {
  const dir = '/sys/class/bluetooth';
  return existsSync(dir) && readdirSync(dir).some((name) => name.startsWith('hci'));
}

/** The radios of ble.adapters and the simulated store, for chooseSource. */
function sourceKit(config: Config, roster: Roster, clock: Clock, log: Logger): SourceKit<NobleSource> {
  return {
    hasBluetoothAdapter,
    simulatedStore: () =>
      new SimulatedStore({
        settings: config.simulator,
        roster,
        appUuid: config.identity.appUuid.toLowerCase(),
        zones: config.zones,
        receivers: config.receivers,
        clock,
        log: log.child({ module: 'simulator' }),
      }),
    radio: (receiverId) => openRadio(config, receiverId, log, clock),
  };
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

function replaySource(request: ReplayRequest, resolver: Resolver, clock: ReplayClock, log: Logger): ReplaySource {
  const { file, receiverId, speed, observer } = request;
  return new ReplaySource({
    file,
    receiverId,
    speed,
    clock,
    log: log.child({ module: 'replay' }),
    ...(observer === undefined ? {} : { observer: memberTap(observer, resolver) }),
  });
}

/**
 * The gateway's or a receiver's MQTT connection, with a retained `offline` last will on
 * `willTopic`. `login`: the gateway's own login to its embedded broker.
 */
function mqttBus(config: Config, url: string, willTopic: string, log: Logger, login?: GatewayLogin): MqttBus {
  const { username, password, tls } = config.mqtt;
  const credentials = login ?? (username === '' ? undefined : { username, password });
  return new MqttBus({
    url,
    clientId: ownClientId(config),
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

/** What a receiver box runs on: the system clock, systemd, its broker connection and its adapters. */
export function receiverKit(config: Config, env: NodeJS.ProcessEnv, log: Logger): ReceiverKit {
  const clock = new SystemClock();
  return {
    clock,
    notifier: new SdNotifier({ env, log: log.child({ module: 'systemd' }) }),
    bus: (willTopic) => mqttBus(config, config.mqtt.url, willTopic, log),
    radios: () => config.ble.adapters.map((adapter) => openRadio(config, adapter.receiver, log, clock)),
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config } = options.loaded;
  if (config.ble.mode === 'receiver') {
    const log = options.log ?? createRootLogger(config.log.level);
    return startReceiver(config, receiverKit(config, options.env ?? process.env, log), log);
  }
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

    const loaded = await loadRoster(config, openRosterStore, env, clock, log, stack);
    const { roster, inMemory, vault } = loaded;
    const members = new Resolver(roster, config.identity.appUuid.toLowerCase(), { clock });
    takeStored(loaded, members, log);
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
        showModel(metrics, model);
      },
      log,
      stack,
    );

    const choice: SourceChoice<NobleSource> =
      options.replay !== undefined && replayClock !== undefined
        ? { source: replaySource(options.replay, members, replayClock, log), radios: [] }
        : await chooseSource(config, sourceKit(config, roster, clock, log), log, stack);
    const { radios } = choice;
    const { sightings, espresense } = networkSources(config, bus, topics, () => metrics, clock, log);
    const source = new MergedSource([...(choice.source === undefined ? radios : [choice.source]), sightings, espresense]);
    const simulated = choice.source?.kind === 'simulated';
    const replay = choice.source instanceof ReplaySource ? choice.source : undefined;

    let watchdogs: RadioWatchdog[] = [];
    const metrics = gatewayMetrics({ bus, store, radios, watchdogs: () => watchdogs, background: () => background, sync: () => sync.probe() });
    watchdogs = await startRadioWatchdogs(radios, config, (receiver, action) => metrics.radioWatchdog.inc({ receiver, action }), clock, log, stack);
    showModel(metrics, scorer.model);
    const status = await startStatus(bus, topics, { storeId: config.store.id, simulated, model: scorer.model, configDigest: digest, clock }, log, stack);

    const tracker = new PresenceTracker(config);
    const { cards, pos, live, feedback, setCatalog } = await startCardPath(
      { config, dataDir: resolve(config.data.dir), bus, topics, members: (id) => directory.get(id), scorer, store, metrics, subscribeFeedback: broker.embedded === undefined, clock, log },
      stack,
    );

    const { startedAt, readiness, snapshot: health } = gatewayHealth({ config, simulated, bus, store, radios, members, tracker, scorer, clock });
    const eraser = new MemberEraser({ storeId: config.store.id, resolver: members, directory, tracker, cards, ...(vault === undefined ? {} : { vault }), store, clock, log: log.child({ module: 'erasure' }), onErased: () => syncStore.invalidate() });
    const cloud = config.cloud.url === '' ? undefined : new HttpCloudTransport({ url: config.cloud.url, tls: config.cloud.tls });
    if (cloud !== undefined) await stack.start('cloud', () => cloud.start(), () => cloud.stop());
    const sync = cloudSync({ config, events: store, store: syncStore, transport: cloud, loadModel: (files, modelLog) => loadModelPackage(files, modelLog, { isolate: true }), vault, eraser, rotationExponent: roster.rotationExponent, setCatalog, scorer, metrics, clock, log });
    const requests = gatewayRequestRouter(
      bus,
      topics,
      {
        eraser,
        tracker,
        cardOf: (memberId) => pos.cardOf(memberId),
        reloadModel,
        sync: () => sync.syncNow(),
        health: () => ({ ...health(), model: scorer.model, sync: sync.health() }),
        reload: configReloader(options.loaded.files[1], env, config, cards, log),
      },
      log,
    );

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
    log.info({ http: httpUrl, mqtt: mqttUrl, simulated, members: members.memberCount() }, simulated ? 'Vitrin is running on a SIMULATED store' : 'Vitrin is running');

    return {
      log,
      httpUrl,
      mqttUrl,
      simulated,
      ...(replay === undefined ? {} : { replayFinished: replay.finished() }),
      stop: shutdown(stack, notifier, log, 'Vitrin stopped'),
    };
  } catch (err) {
    await stack.stopAll();
    notifier.close();
    throw err;
  }
}
