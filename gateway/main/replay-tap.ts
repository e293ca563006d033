import type { RecordKind, ReplayObserver } from '../ble/capture-reports.js';
import type { AdvertisingReport } from '../ble/hci-events.js';
import { decodeAdvertisement } from '../ble/decode.js';
import type { Resolver } from '../identity/resolver.js';
import type { Advertisement } from '../ports.js';

/** What a replay tells about each record and report, before resolution. */
export interface ReplayTap {
  record(kind: RecordKind, index: number): void;
  report(report: AdvertisingReport, ad: Advertisement): void;
}

/**
 * `vitrin replay`'s summary: each report passed on with the member it resolves to, by
 * the pipeline's resolver. Resolving is a lookup (it builds a period's tables when first
 * asked, as the pipeline would); the address memory, the one state it keeps per advert,
 * is the pipeline's to fill, not this tap's.
 */
export function memberTap(observer: ReplayObserver, resolver: Resolver): ReplayTap {
  return {
    record: (kind, index) => observer.record(kind, index),
    report: (report, ad) => {
      const frame = decodeAdvertisement(ad.data);
      const resolution = frame === undefined ? undefined : resolver.resolve(frame, ad.receivedAt);
      observer.report(report, resolution?.status === 'member' ? resolution.member.id : undefined);
    },
  };
}
