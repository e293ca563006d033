import type { Advertisement } from '../ports.js';
import { btsnoopHeader, btsnoopRecord } from './btsnoop.js';
import { encodeExtendedReport, encodeLegacyReport } from './hci-events.js';

const ADV_NONCONN_IND = 3;
const LEGACY_MAX_DATA = 31;

/**
 * Advertisements as a btsnoop file (datalink 1002, H4): each one written as the LE
 * Advertising Report a controller would send, so `vitrin replay`, Wireshark and
 * btmon read it. Noble delivers parsed reports, so the PDU type is not known: legacy
 * reports are written as ADV_NONCONN_IND, longer data as an extended report.
 */
export class CaptureRecorder {
  private count = 0;

  constructor(private readonly write: (bytes: Uint8Array) => void) {
    write(btsnoopHeader());
  }

  get records(): number {
    return this.count;
  }

  add(ad: Advertisement): void {
    const report = { eventType: ADV_NONCONN_IND, address: ad.address, addressType: ad.addressType === 'public' ? 'public' : 'random', rssi: ad.rssi, data: ad.data } as const;
    const event = ad.data.length <= LEGACY_MAX_DATA ? encodeLegacyReport(report) : encodeExtendedReport({ ...report, eventType: 0 });
    this.write(btsnoopRecord(event, ad.receivedAt));
    this.count++;
  }
}
