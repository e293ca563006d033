// The composition root: the only place that knows every part, with its pieces in
// gateway/main/ (sources, roster, broker, receiver mode, cloud sync, HTTP). It builds
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
import type { RadioWatchdog } from './ble/radio-watchdog.js';
import { SightingsSource } from './ble/sightings-source.js';
import { EspresenseSource } from './ble/espresense-source.js';
import { cloudSync } from './main/cloud-sync.js';
import { configReloader } from './main/config-reload.js';
import { startHttp } from './main/http.js';
import { mqttBus, startBroker } from './main/mqtt.js';
import { startRadioWatchdogs } from './main/radio-watchdogs.js';
import { startReceiver } from './main/receiver.js';
import { startModel } from './main/model.js';
import { loadRoster } from './main/roster.js';
import { chooseSource, replaySource, type SourceChoice } from './main/sources.js';
import type { GatewayOptions, RunningGateway } from './main/types.js';

export type { GatewayOptions, ReplayRequest, RunningGateway } from './main/types.js';
export { checkModel, doctorHost } from './main/commands.js';
export { openRosterStore } from './main/roster.js';
export { openRadio } from './main/sources.js';

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

    const broker = await startBroker(config, log, stack);
    const mqttUrl = broker.url;
    const bus = mqttBus(config, mqttUrl, topics.state, log, broker.login);
    await stack.start('mqtt', () => bus.start(), () => bus.stop());

    const { scorer, reloadModel } = await startModel(
      config,
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
