// AuditEvent nodes: one per authentication decision, tool call, revocation and lockout.
import { randomUUID } from "node:crypto";
import type { Driver } from "neo4j-driver";

export type AuditKind = "authentication" | "authorization" | "tool_call" | "revocation" | "lockout" | "rate_limit";
export type AuditDecision = "allow" | "deny" | "error";

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

export class AuditStore {
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
}
