import type { RecordKind, ReplayObserver } from '../ble/capture-reports.js';
import type { AdvertisingReport } from '../ble/hci-events.js';
import { decodeAdvertisement } from '../ble/decode.js';
import { Resolver } from '../identity/resolver.js';
import type { Roster } from '../identity/roster.js';
import type { Advertisement } from '../ports.js';

/** What a replay tells about each record and report, before resolution. */
export interface ReplayTap {
  record(kind: RecordKind, index: number): void;
  report(report: AdvertisingReport, ad: Advertisement): void;
}

/**
 * `vitrin replay`'s summary: each report passed on with the member it resolves to, by a
 * resolver of its own (the same roster and rule as the pipeline's), so counting members
 * does not touch the pipeline's state.
 */
export function memberTap(observer: ReplayObserver, roster: Roster, appUuid: string): ReplayTap {
  const resolver = new Resolver(roster, appUuid.toLowerCase());
  return {
    record: (kind, index) => observer.record(kind, index),
    report: (report, ad) => {
      const frame = decodeAdvertisement(ad.data);
      const resolution = frame === undefined ? undefined : resolver.resolve(frame, ad.receivedAt);
      observer.report(report, resolution?.status === 'member' ? resolution.member.id : undefined);
    },
  };
}
