// Prometheus metrics. Security decisions are counted from the audit stream, so every decision
// that is audited is also counted, by the same code path; HTTP latency comes from fastify.
import type { FastifyInstance } from "fastify";
import type { Driver } from "neo4j-driver";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AuditEvent } from "../store/audit-store.js";

export class Metrics {
  readonly registry = new Registry();
  private readonly authResults = new Counter({
    name: "mcp_auth_results_total",
    help: "Authentication decisions by result and reason",
    labelNames: ["result", "reason"] as const,
    registers: [this.registry],
  });
  private readonly permissionDenials = new Counter({
    name: "mcp_permission_denials_total",
    help: "Requests refused for want of a role or permission",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: "mcp_rate_limited_total",
    help: "Requests refused by a rate or concurrency limit",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: "mcp_lockouts_total",
    help: "Principals locked out after repeated failures",
    registers: [this.registry],
  });
  private readonly toolCalls = new Counter({
    name: "mcp_tool_calls_total",
    help: "Tool calls by tool and status",
    labelNames: ["tool", "status"] as const,
    registers: [this.registry],
  });
  private readonly toolDuration = new Histogram({
    name: "mcp_tool_call_duration_seconds",
    help: "Tool call duration",
    labelNames: ["tool"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: "mcp_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly auditDropped = new Counter({
    name: "mcp_audit_events_dropped_total",
    help: "Audit events logged but not stored in Neo4j, by reason (queue_full, store_failure)",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly neo4jInUse = new Gauge({
    name: "mcp_neo4j_connections_in_use",
    help: "Neo4j queries in flight, each holding one pooled connection",
    registers: [this.registry],
  });

  /** Counts audit events that were logged but never reached the audit trail in Neo4j. */
  auditEventsDropped(count: number, reason: string): void {
    this.auditDropped.inc({ reason }, count);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "mcp_" });
  }

  /** Counts one audited decision. Tool names are bounded by the registry, so labels stay few. */
  observe(event: AuditEvent): void {
    switch (event.kind) {
      case "authentication":
        this.authResults.inc({ result: event.decision, reason: event.reason ?? "ok" });
        break;
      case "authorization":
        this.permissionDenials.inc({ reason: event.reason ?? "unknown" });
        break;
      case "rate_limit":
        this.rateLimited.inc({ reason: event.reason ?? "unknown" });
        break;
      case "lockout":
        this.lockouts.inc();
        break;
      case "tool_call":
        if (event.reason === "insufficient_scope") this.permissionDenials.inc({ reason: event.reason });
        if (event.reason === "unknown_tool") break; // attacker-chosen names never become labels
        this.toolCalls.inc({ tool: event.tool ?? "none", status: event.decision });
        if (event.durationMs !== undefined)
          this.toolDuration.observe({ tool: event.tool ?? "none" }, event.durationMs / 1000);
        break;
      case "revocation":
        break;
    }
  }

  /** Times every response by its route pattern (never the raw URL, which an attacker chooses). */
  instrument(app: FastifyInstance): void {
    app.addHook("onResponse", async (request, reply) => {
      this.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  }

  /** Tracks the driver's queries in flight; every query of the app goes through executeQuery. */
  watchDriver(driver: Driver): void {
    const original = driver.executeQuery.bind(driver) as (...args: unknown[]) => Promise<unknown>;
    const gauge = this.neo4jInUse;
    (driver as { executeQuery: unknown }).executeQuery = async (...args: unknown[]) => {
      gauge.inc();
      try {
        return await original(...args);
      } finally {
        gauge.dec();
      }
    };
  }
}
