import { PACKAGE_KINDS, PackageListV1, type PackageEnvelope, type PackageKind } from '../contracts/sync.js';
import { contractChecker } from '../contracts/validator.js';
import { isVitrinError, VitrinError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Clock, EventStore } from '../ports.js';
import { verifyPackage, type Refusal, type RefusalReason, type SigningKey } from './package-signature.js';
import { SingleFlight } from './single-flight.js';
import type { CloudTransport, PackageLedger, PackageVersion } from './sync-ports.js';

/** A package list whose frame was checked; its entries are not trusted yet: take() checks each. */
interface UncheckedList {
  readonly packages: readonly unknown[];
}

const checkList = contractChecker(PackageListV1);

/** Applies one verified package whole, or throws (VITRIN_ERR_PACKAGE_INVALID before any change, VITRIN_ERR_PACKAGE_APPLY after). */
export interface PackageApplier {
  apply(body: Buffer, envelope: PackageEnvelope, last: PackageVersion | undefined): Promise<string>;
}

export interface DownlinkOptions {
  readonly transport: CloudTransport | undefined;
  readonly ledger: PackageLedger;
  readonly appliers: Readonly<Record<PackageKind, PackageApplier>>;
  /** The keys of cloud.signingPublicKeys, parsed when sync starts. */
  readonly keys: () => readonly SigningKey[];
  readonly storeId: string;
  readonly gatewayVersion: string;
  readonly token: string;
  readonly requestTimeoutSeconds: number;
  /** Refusals are stored as `package-refused` events: health reads them, the uplink takes them to the cloud. */
  readonly store: EventStore;
  readonly metrics: Pick<Metrics, 'packagesApplied' | 'packagesRefused'>;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface PackageOutcome {
  /** A package kind; what the cloud sent when it is none. */
  readonly kind: string;
  readonly version: number;
  readonly status: 'applied' | 'refused';
  readonly code?: ErrorCode;
  readonly reason?: RefusalReason;
  readonly message: string;
}

export interface DownlinkRunResult {
  readonly packages: readonly PackageOutcome[];
  /** Why no list was taken this time (the cloud unreachable, or its answer not a package list); absent when one was. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export interface DownlinkHealth {
  readonly lastPollAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastError: { readonly code: ErrorCode; readonly message: string; readonly at: string } | null;
  readonly versions: Readonly<Partial<Record<PackageKind, { readonly version: number; readonly status: string }>>>;
  readonly lastRefused: (PackageOutcome & { readonly at: string }) | null;
}

/**
 * Polls the cloud for signed packages newer than the versions taken here, and applies
 * them in version order per kind. Nothing of a package is used before its signature,
 * store and version check out. A package with a good signature that cannot be used
 * still moves its kind's version on (the cloud must publish a newer one); one with a
 * bad signature moves nothing, so a forger cannot block the versions that follow.
 */
export class Downlink {
  private readonly flight = new SingleFlight(() => this.poll());
  private lastPollAt: number | undefined;
  private lastSuccessAt: number | undefined;
  private lastError: DownlinkHealth['lastError'] = null;
  private lastRefused: DownlinkHealth['lastRefused'] = null;
  /** Refusals already reported (kind, version, sha256, reason): a package the cloud keeps offering is reported once. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: DownlinkOptions) {}

  tick(): Promise<DownlinkRunResult> | undefined {
    return this.flight.runIfIdle();
  }

  pollNow(): Promise<DownlinkRunResult> {
    return this.flight.run();
  }

  idle(): Promise<void> {
    return this.flight.idle();
  }

  health(): DownlinkHealth {
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const versions: Partial<Record<PackageKind, { version: number; status: string }>> = {};
    for (const kind of PACKAGE_KINDS) {
      const v = this.options.ledger.packageVersion(kind);
      if (v !== undefined) versions[kind] = { version: v.version, status: v.status };
    }
    return { lastPollAt: iso(this.lastPollAt), lastSuccessAt: iso(this.lastSuccessAt), lastError: this.lastError, versions, lastRefused: this.lastRefused };
  }

  private async poll(): Promise<DownlinkRunResult> {
    const { transport, clock } = this.options;
    if (transport === undefined) return { packages: [] };
    this.lastPollAt = clock.now();
    let list: UncheckedList;
    try {
      list = await this.fetchList(transport);
    } catch (err) {
      const code: ErrorCode = isVitrinError(err) ? err.code : 'VITRIN_ERR_CLOUD_DOWNLINK';
      const message = err instanceof Error ? err.message : String(err);
      this.lastError = { code, message, at: new Date(clock.now()).toISOString() };
      this.options.log.warn({ code, reason: message }, 'packages not fetched; the next poll tries again');
      return { packages: [], error: { code, message } };
    }
    this.lastSuccessAt = clock.now();
    this.lastError = null;
    // Entries are not trusted yet (null, a number...): sorted by what they claim, each checked in take().
    const ordered = [...list.packages].sort((a, b) => kindRank(a) - kindRank(b) || claimedVersion(a) - claimedVersion(b));
    const outcomes: PackageOutcome[] = [];
    for (const envelope of ordered) outcomes.push(await this.take(envelope));
    return { packages: outcomes };
  }

  private async fetchList(transport: CloudTransport): Promise<UncheckedList> {
    const { storeId, ledger, token, gatewayVersion, requestTimeoutSeconds } = this.options;
    const query = PACKAGE_KINDS.map((kind) => `${kind}=${ledger.packageVersion(kind)?.version ?? 0}`).join('&');
    const response = await transport.request({
      method: 'GET',
      path: `/v1/stores/${encodeURIComponent(storeId)}/packages?${query}`,
      headers: { accept: 'application/json', 'accept-encoding': 'gzip', 'user-agent': `vitrin/${gatewayVersion}`, ...(token === '' ? {} : { authorization: `Bearer ${token}` }) },
      timeoutMs: requestTimeoutSeconds * 1000,
    });
    if (response.status === 204) return { packages: [] };
    if (response.status === 401 || response.status === 403) throw new VitrinError('VITRIN_ERR_CLOUD_AUTH', `the cloud answered ${response.status} to the package poll`);
    if (response.status !== 200) throw new VitrinError('VITRIN_ERR_CLOUD_DOWNLINK', `the cloud answered ${response.status} to the package poll`);
    let value: unknown;
    try {
      value = JSON.parse(response.body.toString('utf8'));
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_CLOUD_DOWNLINK', 'the package list is not JSON', { cause });
    }
    // One broken envelope must not hide the good ones: only the list's frame is checked here, each package on its own.
    const frame = { ...(value as Record<string, unknown>), packages: [] };
    const problems = checkList(frame);
    const packages = (value as { packages?: unknown }).packages;
    if (problems.length > 0 || !Array.isArray(packages)) throw new VitrinError('VITRIN_ERR_CLOUD_DOWNLINK', 'the package list breaks vitrin.package-list/1', { details: problems });
    return { packages };
  }

  private async take(value: unknown): Promise<PackageOutcome> {
    const { ledger, keys, storeId, clock, appliers, log, metrics } = this.options;
    const claimed = claimedKind(value);
    const known = claimed !== undefined && PACKAGE_KINDS.includes(claimed as PackageKind);
    const kind = claimed === undefined ? 'unknown' : claimed.slice(0, 32);
    const last = known ? ledger.packageVersion(claimed as PackageKind) : undefined;
    const verified = verifyPackage(value, keys(), storeId, last);
    if (!verified.ok) return this.refuse(kind, claimedVersion(value), verified, undefined);
    const { envelope, body, sha256 } = verified;
    try {
      const summary = await appliers[envelope.kind].apply(body, envelope, last);
      ledger.recordPackage(envelope.kind, { version: envelope.version, status: 'applied', sha256, at: clock.now() }, summary);
      metrics.packagesApplied.inc({ kind: envelope.kind });
      log.info({ kind: envelope.kind, version: envelope.version, summary }, 'package applied');
      return { kind: envelope.kind, version: envelope.version, status: 'applied', message: summary };
    } catch (err) {
      const code: ErrorCode = isVitrinError(err) ? err.code : 'VITRIN_ERR_PACKAGE_APPLY';
      const refusal: Refusal = {
        ok: false,
        code,
        reason: code === 'VITRIN_ERR_PACKAGE_INVALID' ? 'invalid' : 'apply',
        message: err instanceof Error ? err.message : String(err),
        ...(isVitrinError(err) && err.details.length > 0 ? { details: err.details } : {}),
      };
      // Signed by the cloud: the version is taken, so the next poll asks for what follows it.
      ledger.recordPackage(envelope.kind, { version: envelope.version, status: 'refused', sha256, at: clock.now() }, refusal.message);
      return this.refuse(envelope.kind, envelope.version, refusal, sha256);
    }
  }

  private refuse(kind: string, version: number, refusal: Refusal, sha256: string | undefined): PackageOutcome {
    const { clock, store, metrics, log } = this.options;
    const now = clock.now();
    const outcome: PackageOutcome = { kind, version, status: 'refused', code: refusal.code, reason: refusal.reason, message: refusal.message };
    const key = `${kind}/${version}/${sha256 ?? ''}/${refusal.reason}`;
    if (this.reported.has(key)) return outcome;
    this.reported.add(key);
    this.lastRefused = { ...outcome, at: new Date(now).toISOString() };
    metrics.packagesRefused.inc({ kind, reason: refusal.reason });
    log.error({ code: refusal.code, kind, version, reason: refusal.reason, details: refusal.details }, refusal.message);
    store.append({
      type: 'package-refused',
      at: now,
      payload: { kind, version, code: refusal.code, reason: refusal.reason, message: refusal.message, ...(refusal.details === undefined ? {} : { details: [...refusal.details] }), ...(sha256 === undefined ? {} : { sha256 }) },
    });
    return outcome;
  }
}

function claimedKind(value: unknown): string | undefined {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' ? kind : undefined;
}

function claimedVersion(value: unknown): number {
  const version = typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  return typeof version === 'number' && Number.isFinite(version) ? version : 0;
}

/** Roster before consent before catalog before model, as PACKAGE_KINDS lists them; unknown kinds last. */
function kindRank(value: unknown): number {
  const index = PACKAGE_KINDS.indexOf(claimedKind(value) as PackageKind);
  return index < 0 ? PACKAGE_KINDS.length : index;
}
