import { randomUUID } from 'node:crypto';
import type { CardFlow } from '../cards/card-flow.js';
import type { ErasureReceipt } from '../contracts/requests.js';
import type { Logger } from '../log.js';
import type { PresenceTracker } from '../presence/tracker.js';
import type { Clock, EventStore } from '../ports.js';
import type { MemberDirectory } from './member-directory.js';
import type { Resolver } from './resolver.js';
import type { RosterVault } from './roster-vault.js';

export interface MemberEraserDeps {
  readonly storeId: string;
  readonly resolver: Resolver;
  readonly tracker: PresenceTracker;
  readonly cards: CardFlow;
  /** Absent when the gateway runs without a stored roster (demo without a roster key). */
  readonly vault?: RosterVault;
  /** Holds opened profiles; they go with the member. */
  readonly directory?: MemberDirectory;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onErased?: (receipt: ErasureReceipt) => void;
}

export interface EraseOrder {
  readonly memberId: string;
  readonly requestId?: string;
  readonly source: ErasureReceipt['source'];
}

/**
 * Consent withdrawal on this gateway. In order: the identifiers stop resolving, the
 * presence state goes, any card is withdrawn from every till and advisor page, the
 * stored roster record and every event are deleted (overwritten on disk), and an
 * erasure receipt without personal data is queued for the cloud. Erasing a member the
 * gateway never held succeeds too, with `held: false`: a withdrawal may be sent twice.
 */
export class MemberEraser {
  constructor(private readonly deps: MemberEraserDeps) {}

  async erase(order: EraseOrder): Promise<ErasureReceipt> {
    const { deps } = this;
    const requestedAt = deps.clock.now();
    const inMemory = deps.resolver.erase(order.memberId);
    deps.directory?.forget(order.memberId);
    const present = deps.tracker.forget(order.memberId, requestedAt) !== undefined;
    const cardsWithdrawn = (await deps.cards.withdraw(order.memberId, 'erased')) ? 1 : 0;
    const roster = deps.vault?.erase(order.memberId) ?? false;
    // Last, so it also takes the card-withdrawn event the step above queued.
    const events = deps.store.eraseMember(order.memberId);
    const receipt: ErasureReceipt = {
      schema: 'vitrin.erasure-receipt/1',
      receiptId: randomUUID(),
      requestId: order.requestId ?? randomUUID(),
      storeId: deps.storeId,
      source: order.source,
      requestedAt: new Date(requestedAt).toISOString(),
      completedAt: new Date(deps.clock.now()).toISOString(),
      held: inMemory || roster || events > 0,
      erased: { roster, events, cardsWithdrawn, present },
    };
    deps.store.append({ type: 'erasure-receipt', at: deps.clock.now(), payload: receipt });
    deps.log.info({ receiptId: receipt.receiptId, requestId: receipt.requestId, source: order.source, held: receipt.held }, 'member erased');
    deps.onErased?.(receipt);
    return receipt;
  }
}
