// The members a gateway may recognise. Everything here is personal data: it stays
// on the gateway, out of logs, and is erased when the member withdraws consent.

export interface ConsentScopes {
  /** May be recognised in the store at all. Without it the member is treated as a stranger. */
  readonly presence: boolean;
  /** May get suggestions and a propensity score on cards. */
  readonly personalisation: boolean;
  /** May be greeted by first name. */
  readonly showName: boolean;
}

export type Tier = 'none' | 'silver' | 'gold' | 'platinum';

export interface ProfileItem {
  readonly sku: string;
  readonly title: string;
  readonly category: string;
  readonly price: number;
  /** Set when the price fell since the member saved the item. */
  readonly previousPrice?: number;
  readonly inStockHere: boolean;
}

export interface Offer {
  readonly id: string;
  readonly title: string;
  readonly code: string;
  /** ISO date-time. */
  readonly validUntil: string;
}

export interface MemberProfile {
  readonly firstName: string;
  readonly tier: Tier;
  readonly segments: readonly string[];
  readonly recencyDays: number;
  readonly frequency90d: number;
  readonly monetary90d: number;
  readonly appSessions7d: number;
  readonly visitsThisWeek: number;
  readonly cart: readonly ProfileItem[];
  readonly wishlist: readonly ProfileItem[];
  readonly offers: readonly Offer[];
  readonly openServiceCase?: string;
}

export interface Member {
  /** Pseudonymous id shared with the cloud; never a device address. */
  readonly id: string;
  readonly identityKey: Uint8Array;
  readonly consent: ConsentScopes;
  /** In the stable holdout group: decisions are recorded, cards are never shown. */
  readonly holdout: boolean;
  readonly profile: MemberProfile;
}

/** What recognising a member needs; the profile stays sealed on disk until a card needs it. */
export type MemberIdentity = Omit<Member, 'profile'>;

export interface Roster<M extends MemberIdentity = MemberIdentity> {
  /** K: every member's app rotates its identifier every 2^K seconds. */
  readonly rotationExponent: number;
  readonly members: readonly M[];
}
