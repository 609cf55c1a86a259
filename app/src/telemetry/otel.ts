// OpenTelemetry: traces (the request through @fastify/otel, authentication, the tool call) and
// the audit trail as log records, both over OTLP/HTTP to a collector. Off unless an endpoint is
// configured; then a client's W3C traceparent joins its trace. What is exported is what the
// audit log already holds after sanitizing: never a token, claims beyond sub and role, tool
// arguments or query strings.
import { FastifyOtelInstrumentation } from "@fastify/otel";
import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from "@opentelemetry/api";
import { SeverityNumber, logs, type Logger } from "@opentelemetry/api-logs";
import { NodeSDK, logs as sdkLogs } from "@opentelemetry/sdk-node";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { FastifyInstance } from "fastify";
import type { Driver } from "neo4j-driver";
import type { AuditEvent } from "../store/audit-store.js";
import { endedWith } from "./spans.js";

export interface TelemetrySettings {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); /v1/traces and /v1/logs are appended. */
  endpoint: string;
  serviceName: string;
}

export interface Telemetry {
  readonly tracer: Tracer;
  /** Registers the request spans; before any route, so every one is covered. */
  instrument(app: FastifyInstance): Promise<void>;
  /** One audit event, already sanitized, as a log record in the active trace. */
  exportAudit(event: AuditEvent): void;
  /** A finished tool call as a span of the request, from its audit event. */
  recordToolCall(event: AuditEvent): void;
  /** Neo4j queries made for a request become its spans: the kind of query, never its text or parameters. */
  watchDriver(driver: Driver, database: string): void;
  /** `work` as a span of the kind `kind` (a Cypher statement the driver runs outside executeQuery). */
  query<T>(kind: string, database: string, work: () => Promise<T>): Promise<T>;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

const UNTRACED = new Set(["/healthz", "/readyz"]);

/** The clauses a query may start with; the kind exported is one of these, or OTHER. */
const CYPHER_CLAUSES = new Set([
  "MATCH",
  "OPTIONAL",
  "MERGE",
  "CREATE",
  "UNWIND",
  "WITH",
  "CALL",
  "RETURN",
  "DELETE",
  "DETACH",
  "SET",
  "REMOVE",
  "FOREACH",
  "LOAD",
  "SHOW",
  "DROP",
  "USE",
  "EXPLAIN",
  "PROFILE",
]);

/** A query's kind: its first clause keyword, from a closed list, so no text of it leaves. */
export function cypherKind(query: unknown): string {
  const text =
    typeof query === "string"
      ? query
      : typeof (query as { text?: unknown })?.text === "string"
        ? (query as { text: string }).text
        : "";
  const keyword = /^\s*(?:\/\/[^\n]*\n\s*)*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? "";
  return CYPHER_CLAUSES.has(keyword) ? keyword : "OTHER";
}

/** The audit event's fields as attributes (no undefined values: OTLP has no such thing). */
function auditAttributes(event: AuditEvent): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    "mcp.audit.kind": event.kind,
    "mcp.decision": event.decision,
    "enduser.id": event.principal,
  };
  if (event.role !== undefined) attributes["mcp.role"] = event.role;
  if (event.tool !== undefined) attributes["mcp.tool"] = event.tool;
  if (event.reason !== undefined) attributes["mcp.reason"] = event.reason;
  if (event.durationMs !== undefined) attributes["mcp.duration_ms"] = event.durationMs;
  if (event.resultBytes !== undefined) attributes["mcp.result_bytes"] = event.resultBytes;
  if (event.errorClass !== undefined) attributes["mcp.error_class"] = event.errorClass;
  if (event.detail !== undefined) attributes["mcp.audit.detail"] = event.detail;
  return attributes;
}

class OtlpTelemetry implements Telemetry {
  readonly tracer: Tracer;
  private readonly auditLogger: Logger;
  private readonly fastify: FastifyOtelInstrumentation;

  constructor(private readonly sdk: NodeSDK) {
    this.tracer = trace.getTracer("mcp-bastion");
    this.auditLogger = logs.getLogger("mcp-bastion.audit");
    this.fastify = new FastifyOtelInstrumentation({
      instrumentHooks: false,
      ignorePaths: ({ url }) => UNTRACED.has(url),
      // The path alone: a query string is never exported, whatever a client put in it.
      requestHook: (span, request) => span.setAttribute("url.path", request.url.split("?")[0] ?? "/"),
    });
    this.fastify.setTracerProvider(trace.getTracerProvider());
  }

  async instrument(app: FastifyInstance): Promise<void> {
    await app.register(this.fastify.plugin());
  }

  exportAudit(event: AuditEvent): void {
    this.auditLogger.emit({
      severityNumber: event.decision === "allow" ? SeverityNumber.INFO : SeverityNumber.WARN,
      severityText: event.decision === "allow" ? "INFO" : "WARN",
      eventName: `mcp.audit.${event.kind}`,
      body: `audit ${event.kind} ${event.decision}`,
      attributes: auditAttributes(event),
    });
  }

  recordToolCall(event: AuditEvent): void {
    const end = Date.now();
    const span = this.tracer.startSpan("mcp.tool_call", {
      startTime: end - (event.durationMs ?? 0),
      attributes: auditAttributes(event),
    });
    if (event.decision !== "allow")
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.reason ?? event.errorClass ?? event.decision });
    span.end(end);
  }

  watchDriver(driver: Driver, database: string): void {
    const original = driver.executeQuery.bind(driver) as (...args: unknown[]) => Promise<unknown>;
    (driver as { executeQuery: unknown }).executeQuery = async (...args: unknown[]) =>
      // Background work (the revocation pull, audit batches) has no request span: not traced.
      trace.getActiveSpan() ? this.query(cypherKind(args[0]), database, () => original(...args)) : original(...args);
  }

  async query<T>(kind: string, database: string, work: () => Promise<T>): Promise<T> {
    if (!trace.getActiveSpan()) return work();
    return this.tracer.startActiveSpan(
      `neo4j ${kind}`,
      {
        kind: SpanKind.CLIENT,
        attributes: { "db.system.name": "neo4j", "db.operation.name": kind, "db.namespace": database },
      },
      (span) => endedWith(span, work),
    );
  }

  async shutdown(): Promise<void> {
    if (started === this) started = undefined;
    await this.sdk.shutdown();
  }
}

let started: OtlpTelemetry | undefined;

/** Starts the SDK once per process (its providers are global); later calls share it. */
export function startTelemetry(settings: TelemetrySettings): Telemetry {
  if (started) return started;
  const base = settings.endpoint.replace(/\/+$/, "");
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }),
    logRecordProcessors: [
      new sdkLogs.BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }) }),
    ],
    // No automatic instrumentation: what is traced is chosen here, so nothing exports more.
    instrumentations: [],
  });
  sdk.start();
  started = new OtlpTelemetry(sdk);
  return started;
}

/** The OTEL_* variables of a command that is not the server (the backup job); undefined: off. */
export function telemetryFromEnv(env: NodeJS.ProcessEnv, serviceName: string): TelemetrySettings | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === "true") return undefined;
  if (!/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/.test(endpoint))
    throw new Error("OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL without credentials");
  return {
    endpoint,
    serviceName:
      env.OTEL_SERVICE_NAME && /^[A-Za-z0-9._-]{1,128}$/.test(env.OTEL_SERVICE_NAME)
        ? env.OTEL_SERVICE_NAME
        : serviceName,
  };
}

/** `work` as the root span of a command's trace (the backup run). */
export async function commandSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  return trace.getTracer("mcp-bastion").startActiveSpan(name, (span) => endedWith(span, work));
}

/**
 * The authentication decision as a span: allow with the caller's sub and role, or deny with the
 * refusal's reason code. Never the token, never other claims, never the refusal's message.
 */
export async function authenticationSpan<T extends { sub: string; role: string }>(
  tracer: Tracer,
  authenticate: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan("mcp.authenticate", async (span: Span) => {
    try {
      const principal = await authenticate();
      span.setAttributes({ "mcp.decision": "allow", "enduser.id": principal.sub, "mcp.role": principal.role });
      return principal;
    } catch (error) {
      const reason =
        typeof (error as { reason?: unknown }).reason === "string"
          ? (error as { reason: string }).reason
          : error instanceof Error
            ? error.name
            : "error";
      span.setAttributes({ "mcp.decision": "deny", "mcp.reason": reason.slice(0, 64) });
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason.slice(0, 64) });
      throw error;
    } finally {
      span.end();
    }
  });
}
