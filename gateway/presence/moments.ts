// Transitions the decision stage acts on, each emitted exactly once.

export type Moment =
  | { readonly kind: 'entered-store'; readonly memberId: string; readonly at: number }
  | {
      readonly kind: 'entered-zone';
      readonly memberId: string;
      readonly zoneId: string;
      /** When the evidence for the zone began: the member has been there since, though it took until `at` to be sure. */
      readonly since: number;
      readonly at: number;
    }
  | {
      readonly kind: 'dwelling';
      readonly memberId: string;
      readonly zoneId: string;
      /** When the member entered the zone. */
      readonly since: number;
      readonly at: number;
    }
  | { readonly kind: 'left'; readonly memberId: string; readonly lastZoneId: string | undefined; readonly at: number };

export interface Sighting {
  readonly memberId: string;
  readonly receiverId: string;
  readonly rssi: number;
  readonly at: number;
  /** The frame's calibrated power at 1 m (dBm): iBeacon's measured power, Eddystone's TX power at 0 m minus 41. Absent: -59, a typical phone. */
  readonly measuredPower?: number;
  /** Heard through the iOS background path (overflow advert, EID read over GATT): such phones advertise in bursts with long gaps. */
  readonly background?: boolean;
}

export interface PresentMember {
  readonly memberId: string;
  readonly zoneId: string | undefined;
  /** When the member entered the current zone. */
  readonly zoneSince: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Estimated distance to the nearest receiver that hears the member, metres. */
  readonly distanceM?: number;
}
