// Transitions the decision stage acts on, each emitted exactly once.

export type Moment =
  | { readonly kind: 'entered-store'; readonly memberId: string; readonly at: number }
  | { readonly kind: 'entered-zone'; readonly memberId: string; readonly zoneId: string; readonly at: number }
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
}

export interface PresentMember {
  readonly memberId: string;
  readonly zoneId: string | undefined;
  /** When the member entered the current zone. */
  readonly zoneSince: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}
