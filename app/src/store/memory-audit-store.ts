// The audit trail of one process, in memory: the same contract as Neo4jAuditStore (the shared
// contract test runs against both), for a single-process development server and the fast test
// tier. It is bounded: past `capacity` events the oldest go first, so memory stays flat.
import { randomUUID } from "node:crypto";
import type { AuditEvent, AuditQuery, AuditStore, StoredAuditEvent } from "./audit-store.js";

type Kept = AuditEvent & { id: string; at: number };

export class MemoryAuditStore implements AuditStore {
  private events: Kept[] = [];

  constructor(private readonly capacity = 100_000) {}

  async writeBatch(events: ReadonlyArray<AuditEvent & { at: number }>): Promise<void> {
    for (const event of events) {
      // As in Neo4j, a property without a value is not stored at all.
      const defined = Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined));
      this.events.push({ ...(defined as AuditEvent & { at: number }), id: randomUUID() });
    }
    if (this.events.length > this.capacity) this.events = this.events.slice(-this.capacity);
  }

  async search(query: AuditQuery): Promise<StoredAuditEvent[]> {
    const from = query.from ?? 0;
    const to = query.to ?? Number.MAX_SAFE_INTEGER;
    return this.events
      .filter(
        (event) =>
          event.at >= from &&
          event.at < to &&
          (query.principal === undefined || event.principal === query.principal) &&
          (query.tool === undefined || event.tool === query.tool) &&
          (query.kind === undefined || event.kind === query.kind) &&
          (query.decision === undefined || event.decision === query.decision),
      )
      .sort((a, b) => b.at - a.at)
      .slice(0, query.limit)
      .map((event) => ({ ...event, at: new Date(event.at).toISOString() }));
  }

  async deleteOlderThan(cutoffMs: number): Promise<number> {
    const before = this.events.length;
    this.events = this.events.filter((event) => event.at >= cutoffMs);
    return before - this.events.length;
  }
}
