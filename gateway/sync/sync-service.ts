import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { PackageKind } from '../contracts/sync.js';
import { VitrinError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics, SyncProbe } from '../metrics.js';
import type { Clock, EventStore, Lifecycle } from '../ports.js';
import { localHourStart, nextLocalHour } from '../util/local-clock.js';
import type { BackoffSettings } from './backoff.js';
import { cloudConfigProblems, type CloudConfig } from './cloud-config.js';
import { CronJobs } from './cron-jobs.js';
import { Downlink, type DownlinkRunResult, type PackageApplier } from './downlink.js';
import { HOUR_MS, summarizeHour, VISIT_LOOKBACK_MS } from './hourly-summary.js';
import { parsePublicKey, type SigningKey } from './package-signature.js';
import { SingleFlight } from './single-flight.js';
import type { CloudTransport, SyncStore } from './sync-ports.js';
import { Uplink, type UplinkRunResult } from './uplink.js';

export interface SyncServiceOptions {
  readonly settings: CloudConfig;
  /** The store's time zone: the nightly purge runs at night there. */
  readonly timezone: string;
  readonly storeId: string;
  readonly gatewayVersion: string;
  readonly store: SyncStore;
  /** Flushed before an on-demand sync, so that what was just recorded goes along; refusals are appended here. */
  readonly events: EventStore;
  /** Undefined when cloud.url is empty. */
  readonly transport: CloudTransport | undefined;
  readonly appliers: Readonly<Record<PackageKind, PackageApplier>>;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly log: Logger;
  readonly backoff?: BackoffSettings;
  readonly random?: () => number;
}

export interface SyncNowResult {
  readonly uplink: UplinkRunResult;
  readonly downlink: DownlinkRunResult;
}

/** A summary waits this long after its hour ends, for the last events of the hour to be committed. */
const SETTLE_MS = 60_000;
const DAY_MS = 24 * HOUR_MS;
const PURGE_CHUNK = 2_000;

/**
 * Cloud sync as one part: the uplink, the downlink, the hourly summaries and the
 * retention purge, each on its node-cron schedule, none overlapping itself. At start
 * it catches up what was missed while down: summaries of the hours it did not see
 * (from stored events), an overdue purge, a poll and the outbox.
 */
export class SyncService implements Lifecycle {
  readonly uplink: Uplink;
  readonly downlink: Downlink;
  private readonly jobs: CronJobs;
  private readonly summaries = new SingleFlight(() => this.summarize());
  private readonly purges = new SingleFlight(() => this.purge());
  private catchUp: Promise<void> | undefined;
  private keys: readonly SigningKey[] = [];

  constructor(private readonly options: SyncServiceOptions) {
    const { settings, transport, store, storeId, gatewayVersion, metrics, clock, log } = options;
    this.uplink = new Uplink({
      outbox: store,
      transport,
      storeId,
      gatewayVersion,
      token: settings.token,
      settings,
      metrics,
      clock,
      log: log.child({ part: 'uplink' }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    this.downlink = new Downlink({
      transport,
      ledger: store,
      appliers: options.appliers,
      keys: () => this.keys,
      storeId,
      gatewayVersion,
      token: settings.token,
      requestTimeoutSeconds: settings.requestTimeoutSeconds,
      store: options.events,
      metrics,
      clock,
      log: log.child({ part: 'downlink' }),
    });
    this.jobs = new CronJobs(options.timezone, log.child({ part: 'schedule' }));
  }

  get enabled(): boolean {
    return this.options.transport !== undefined;
  }

  start(): Promise<void> {
    const { settings, log } = this.options;
    const problems = cloudConfigProblems(settings);
    if (problems.length > 0) return Promise.reject(new VitrinError('VITRIN_ERR_CLOUD_CONFIG', 'the cloud settings cannot be used', { details: problems }));
    this.keys = settings.signingPublicKeys.map(parsePublicKey);
    if (this.enabled && settings.signingPublicKeys.length === 0) log.warn('cloud.signingPublicKeys is empty: every downlink package will be refused');
    // The disk cap applies with sync off as well, so the outbox is watched either way.
    this.jobs.add('uplink', settings.uplinkCron, () => this.uplink.tick());
    if (this.enabled) this.jobs.add('downlink', settings.downlinkCron, () => this.downlink.tick());
    this.jobs.add('summary', settings.summaryCron, () => this.summaries.runIfIdle());
    this.jobs.add('purge', settings.purgeCron, () => this.purges.runIfIdle());
    this.jobs.start();
    this.catchUp = this.startUp();
    log.info({ enabled: this.enabled, keys: settings.signingPublicKeys.length }, this.enabled ? 'cloud sync started' : 'cloud sync is off (cloud.url is empty); summaries, the disk cap and the purge still run');
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.jobs.stop();
    await this.catchUp;
    await Promise.all([this.uplink.idle(), this.downlink.idle(), this.summaries.idle(), this.purges.idle()]);
  }

  /** gateway/request/sync: everything waiting goes up, and new packages come down, now. */
  async syncNow(): Promise<SyncNowResult> {
    if (!this.enabled) throw new VitrinError('VITRIN_ERR_CLOUD_OFF', 'cloud sync is off: cloud.url is empty');
    const downlink = await this.downlink.pollNow();
    // After the poll: what was just recorded, refusals included, goes up in the same sync.
    try {
      this.options.events.flush();
    } catch (err) {
      this.options.log.warn({ err }, 'queued events not committed before the sync; they go with the next one');
    }
    const uplink = await this.uplink.flushNow();
    return { uplink, downlink };
  }

  /** Runs the hourly summary job now; for tests and the start-up catch-up. */
  summarizeNow(): Promise<number> {
    return this.summaries.run();
  }

  purgeNow(): Promise<number> {
    return this.purges.run();
  }

  health(): Record<string, unknown> {
    const { store, settings, clock } = this.options;
    const stats = store.stats();
    const nextHour = store.state('summary.nextHour');
    const lastPurge = store.state('purge.lastAt');
    return {
      enabled: this.enabled,
      outbox: {
        depth: stats.depth,
        oldestAgeSeconds: stats.oldestCreatedAt === undefined ? 0 : Math.max(0, Math.round((clock.now() - stats.oldestCreatedAt) / 1000)),
        pendingBytes: stats.pendingBytes,
        capBytes: Math.round(settings.diskCapMb * 1024 * 1024),
        dropped: store.droppedTotals(),
      },
      uplink: this.uplink.health(),
      downlink: this.downlink.health(),
      summarisedUntil: nextHour === undefined ? null : new Date(Number(nextHour)).toISOString(),
      lastPurgeAt: lastPurge === undefined ? null : new Date(Number(lastPurge)).toISOString(),
    };
  }

  probe(): SyncProbe {
    const { store, clock } = this.options;
    const stats = store.stats();
    const versions: Record<string, number> = {};
    for (const [kind, v] of Object.entries(this.downlink.health().versions)) if (v !== undefined) versions[kind] = v.version;
    const last = this.uplink.lastSuccess();
    return {
      outboxOldestAgeSeconds: stats.oldestCreatedAt === undefined ? 0 : Math.max(0, (clock.now() - stats.oldestCreatedAt) / 1000),
      outboxPendingBytes: stats.pendingBytes,
      uplinkLastSuccess: last === undefined ? undefined : last / 1000,
      dropped: store.droppedTotals(),
      packageVersions: versions,
    };
  }

  private async startUp(): Promise<void> {
    const { store, clock, log } = this.options;
    try {
      await this.summaries.run();
      const lastPurge = Number(store.state('purge.lastAt') ?? '0');
      if (clock.now() - lastPurge >= DAY_MS) await this.purges.run();
      await Promise.all([this.downlink.tick(), this.uplink.tick()]);
    } catch (err) {
      log.error({ err }, 'catching up after the start failed; the schedules go on');
    }
  }

  /** Summaries of every complete hour not yet summarised, from the stored events; returns how many records were written. */
  private async summarize(): Promise<number> {
    const { store, clock, storeId, settings, timezone, log } = this.options;
    const now = clock.now();
    // Hours of the store's local time, so that a store at +5:30 gets 14:00-15:00, not 14:30-15:30.
    const thisHour = localHourStart(now, timezone);
    const earliest = thisHour - settings.retentionDays * DAY_MS;
    const saved = Number(store.state('summary.nextHour'));
    // The first run starts at the oldest stored event, at most a day back. A saved boundary
    // is kept as it is, so a gateway whose zone or summary rule changed leaves no gap and
    // counts nothing twice: its first period runs to the next local hour.
    const first = Number.isFinite(saved) && saved > 0 ? saved : Math.max(localHourStart(store.oldestEventAt() ?? now, timezone), thisHour - DAY_MS);
    let written = 0;
    let hours = 0;
    for (let hour = Math.max(first, earliest), end = nextLocalHour(hour, timezone); end <= now - SETTLE_MS; hour = end, end = nextLocalHour(hour, timezone)) {
      const events = store.eventsBetween(hour - VISIT_LOOKBACK_MS, end);
      written += store.appendDerived(summarizeHour(events, hour, storeId, end), { name: 'summary.nextHour', value: String(end) });
      hours += 1;
      await yieldToLoop();
    }
    if (hours > 1) log.info({ hours, records: written }, 'hourly summaries caught up');
    return written;
  }

  /** Deletes delivered events past the retention (with sync off, undelivered ones too, except summaries and receipts). */
  private async purge(): Promise<number> {
    const { store, clock, settings, log } = this.options;
    const now = clock.now();
    const before = now - settings.retentionDays * DAY_MS;
    let deleted = 0;
    for (;;) {
      const chunk = store.purgeChunk(before, !this.enabled, PURGE_CHUNK);
      deleted += chunk;
      if (chunk < PURGE_CHUNK) break;
      await yieldToLoop();
    }
    store.setState('purge.lastAt', String(now));
    if (deleted > 0) log.info({ deleted, before: new Date(before).toISOString() }, 'events past the retention purged');
    return deleted;
  }
}
