// Audit events, and their Neo4j store (AuditEvent nodes): one per authentication decision, tool call, revocation and lockout.
import { randomUUID } from "node:crypto";
import type { Driver } from "neo4j-driver";

export const AUDIT_KINDS = [
  "authentication",
  "authorization",
  "tool_call",
  "revocation",
  "lockout",
  "rate_limit",
] as const;
export const AUDIT_DECISIONS = ["allow", "deny", "error"] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

export interface AuditQuery {
  principal?: string;
  tool?: string;
  kind?: AuditKind;
  decision?: AuditDecision;
  /** Inclusive lower and exclusive upper bound, ms since the epoch. */
  from?: number;
  to?: number;
  limit: number;
}

export interface StoredAuditEvent extends AuditEvent {
  id: string;
  at: string;
}

export interface AuditEvent {
  kind: AuditKind;
  decision: AuditDecision;
  /** sub of a verified token, else `ip:<address>`; never a token. */
  principal: string;
  reason?: string;
  tool?: string;
  role?: string;
  durationMs?: number;
  resultBytes?: number;
  errorClass?: string;
  /** Free-form, already sanitized details (argument shapes, targets). */
  detail?: string;
}

/** Where audit events are kept: Neo4j in a deployment (Neo4jAuditStore), memory for one process. */
export interface AuditStore {
  /** Writes a batch at once; `at` is the caller's clock, ms since the epoch. */
  writeBatch(events: ReadonlyArray<AuditEvent & { at: number }>): Promise<void>;
  /** Newest first, at most `limit`; each filter narrows, none is query text. */
  search(query: AuditQuery): Promise<StoredAuditEvent[]>;
  /** Deletes events older than the cut-off; returns how many. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
}

export class Neo4jAuditStore implements AuditStore {
  constructor(
    private readonly driver: Driver,
    private readonly database: string,
  ) {}

  /** Writes a batch in one transaction; `at` is the caller's clock, ms since the epoch. */
  async writeBatch(events: ReadonlyArray<AuditEvent & { at: number }>): Promise<void> {
    if (events.length === 0) return;
    await this.driver.executeQuery(
      `UNWIND $events AS event
       CREATE (e:AuditEvent) SET e = event, e.at = toInteger(event.at)`,
      { events: events.map((event) => ({ ...event, id: randomUUID() })) },
      { database: this.database },
    );
  }

  /** Newest first; every filter is a parameter, never spliced into the query. */
  async search(query: AuditQuery): Promise<StoredAuditEvent[]> {
    const { records } = await this.driver.executeQuery(
      `MATCH (e:AuditEvent)
       WHERE e.at >= $from AND e.at < $to
         AND ($principal IS NULL OR e.principal = $principal)
         AND ($tool IS NULL OR e.tool = $tool)
         AND ($kind IS NULL OR e.kind = $kind)
         AND ($decision IS NULL OR e.decision = $decision)
       RETURN e ORDER BY e.at DESC LIMIT toInteger($limit)`,
      {
        from: query.from ?? 0,
        to: query.to ?? Number.MAX_SAFE_INTEGER,
        principal: query.principal ?? null,
        tool: query.tool ?? null,
        kind: query.kind ?? null,
        decision: query.decision ?? null,
        limit: query.limit,
      },
      { database: this.database },
    );
    return records.map((record) => {
      const { at, ...rest } = record.get("e").properties as Record<string, unknown>;
      return { ...(rest as unknown as StoredAuditEvent), at: new Date(Number(at)).toISOString() };
    });
  }

  /** Deletes events older than the retention, in batches; returns how many. */
  async deleteOlderThan(cutoffMs: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const { records } = await this.driver.executeQuery(
        "MATCH (e:AuditEvent) WHERE e.at < $cutoff WITH e LIMIT 5000 DELETE e RETURN count(*) AS n",
        { cutoff: cutoffMs },
        { database: this.database },
      );
      const n = records[0]?.get("n") as number;
      removed += n;
      if (n < 5000) return removed;
    }
  }
}
