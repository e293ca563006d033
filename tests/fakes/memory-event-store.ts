import type { EventStore, StoredEvent, StoredEventInput } from '../../gateway/ports.js';

/** An EventStore in memory, for stage tests; the SQLite adapter has its own integration tests. */
export class MemoryEventStore implements EventStore {
  events: StoredEvent[] = [];
  private pending: StoredEventInput[] = [];

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  append(event: StoredEventInput): void {
    this.pending.push(event);
  }

  flush(): number {
    const count = this.pending.length;
    for (const event of this.pending) this.events.push({ ...event, id: this.events.length + 1 });
    this.pending = [];
    return count;
  }

  recentEvents(limit: number): StoredEvent[] {
    this.flush();
    return this.events.slice(-limit).reverse();
  }

  outboxDepth(): number {
    return this.events.length;
  }

  eraseMember(memberId: string): number {
    const before = this.pending.length + this.events.length;
    this.pending = this.pending.filter((e) => e.memberId !== memberId);
    this.events = this.events.filter((e) => e.memberId !== memberId);
    return before - this.pending.length - this.events.length;
  }

  isOpen(): boolean {
    return true;
  }

  isWritable(): boolean {
    return true;
  }
}
