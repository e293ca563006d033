import { decodeAdvertisement } from './decode.js';

/**
 * True when advertising data carries what our app broadcasts: an Eddystone-EID frame
 * or an iBeacon with the app's UUID. Used where frames leave the pipeline's own
 * resolve stage: remote receivers forwarding, and captures limited to the app.
 */
export function carriesAppIdentifier(data: Uint8Array, appUuid: string): boolean {
  const frame = decodeAdvertisement(data);
  if (frame === undefined) return false;
  return frame.kind === 'eddystone-eid' || frame.uuid === appUuid;
}
