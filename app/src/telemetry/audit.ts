// Every audit event becomes one structured log line at once and an AuditEvent node in Neo4j
// shortly after: writes are batched off the request path so auditing costs no round trip.
import type { FastifyBaseLogger } from "fastify";
import { sanitizeText } from "../guards/log-sanitizer.js";
import type { AuditEvent, AuditStore } from "../store/audit-store.js";

/** Free-text fields can carry what an attacker wrote (an unverified sub, a tool name). */
function sanitizeEvent(event: AuditEvent): AuditEvent {
  return {
    ...event,
    principal: sanitizeText(event.principal, 256),
    ...(event.reason !== undefined ? { reason: sanitizeText(event.reason, 128) } : {}),
    ...(event.tool !== undefined ? { tool: sanitizeText(event.tool, 128) } : {}),
    ...(event.detail !== undefined ? { detail: sanitizeText(event.detail) } : {}),
  };
}

const FLUSH_INTERVAL_MS = 200;
const MAX_BATCH = 500;
const MAX_QUEUE = 50_000;

/** Why an audit event did not reach Neo4j: the queue was full, or the write failed. */
export type AuditDropReason = "queue_full" | "store_failure";

export class Auditor {
  private queue: Array<AuditEvent & { at: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly store: AuditStore,
    private readonly log: FastifyBaseLogger,
    /** Sees every event as it is recorded (metrics count decisions here). */
    private readonly onEvent: (event: AuditEvent) => void = () => undefined,
    /** Sees each recorded event once, sanitized: the audit export (OpenTelemetry log records). */
    private readonly onRecorded: (event: AuditEvent) => void = () => undefined,
    /** Hears of events that could not be stored (each was logged): a metric and an alert. */
    private readonly onDropped: (count: number, reason: AuditDropReason) => void = () => undefined,
  ) {}

  record(raw: AuditEvent): void {
    const event = sanitizeEvent(raw);
    this.log.info({ audit: event }, `audit ${event.kind} ${event.decision}`);
    this.onEvent(event);
    this.onRecorded(event);
    if (this.queue.length >= MAX_QUEUE) {
      this.onDropped(1, "queue_full");
      return;
    }
    this.queue.push({ ...event, at: Date.now() });
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  /**
   * Counts a decision that repeats one already recorded (the same token accepted again) without
   * storing it again: metrics still see every decision, the audit trail sees each fact once.
   */
  count(raw: AuditEvent): void {
    this.onEvent(raw);
  }

  /**
   * Writes everything queued so far; resolves when it is stored (or has failed and been
   * counted). Flushes run one after another, so a caller's flush never returns while an earlier
   * one is still writing events queued before it.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.store.writeBatch(batch);
      } catch (error) {
        this.onDropped(batch.length, "store_failure");
        this.log.error({ err: error, events: batch.length }, "audit events could not be stored in Neo4j");
      }
    }
  }
}
