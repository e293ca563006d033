import type { Advertisement } from '../ports.js';
import type { AdvertisingReport } from './hci-events.js';

/** RSSI the pipeline sees when the controller did not report one: far below any zone. */
export const RSSI_NOT_AVAILABLE = -127;

/** A decoded HCI report as the pipeline's Advertisement, from one receiver at one time. */
export function advertisementOf(report: AdvertisingReport, receiverId: string, receivedAt: number): Advertisement {
  const type = report.addressType;
  return {
    receiverId,
    address: report.address,
    addressType: type === 'public' || type === 'public-identity' ? 'public' : type === 'random' || type === 'random-identity' ? 'random' : 'unknown',
    rssi: report.rssi ?? RSSI_NOT_AVAILABLE,
    data: report.data,
    receivedAt,
  };
}
