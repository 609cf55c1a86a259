// Traces and the audit export received by a real OpenTelemetry Collector (OTLP receiver, file
// exporter): each tools/call is one trace joined to the client's traceparent, with the request,
// the authentication decision and the tool call in it, and the audit records in the same trace;
// and nothing the collector received holds the token, the Neo4j password or a tool argument.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startCollector, type CollectorInstance } from "../../scripts/dev-services/otel-collector.js";
import { MCP_HEADERS, toolCallBody, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpAttribute[];
}
interface OtlpLogRecord {
  traceId?: string;
  body?: { stringValue?: string };
  attributes?: OtlpAttribute[];
}

let dir: string;
let collector: CollectorInstance;
let server: TestServer;
let received = "";
const tokens: string[] = [];
const ARGUMENT_MARK = `argument-${randomBytes(6).toString("hex")}`;
const calls: Array<{ traceId: string; parentId: string; tool: string; status?: number }> = [];
const unsampledTraceId = randomBytes(16).toString("hex");

const attribute = (item: { attributes?: OtlpAttribute[] }, key: string): string | undefined => {
  const found = item.attributes?.find((candidate) => candidate.key === key)?.value;
  return found?.stringValue ?? (found?.intValue !== undefined ? String(found.intValue) : undefined);
};

function parse(): { spans: OtlpSpan[]; records: OtlpLogRecord[] } {
  const spans: OtlpSpan[] = [];
  const records: OtlpLogRecord[] = [];
  // The collector may be mid-write: only lines it has ended are whole documents.
  const complete = received.slice(0, received.lastIndexOf("\n") + 1);
  for (const line of complete.split("\n").filter(Boolean)) {
    const document = JSON.parse(line) as {
      resourceSpans?: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      resourceLogs?: Array<{ scopeLogs: Array<{ logRecords: OtlpLogRecord[] }> }>;
    };
    for (const resource of document.resourceSpans ?? [])
      for (const scope of resource.scopeSpans) spans.push(...scope.spans);
    for (const resource of document.resourceLogs ?? [])
      for (const scope of resource.scopeLogs) records.push(...scope.logRecords);
  }
  return { spans, records };
}

async function call(token: string, tool: string, args: Record<string, unknown>, traceparent: string): Promise<number> {
  const response = await fetch(server.mcpUrl, {
    method: "POST",
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, traceparent },
    body: toolCallBody(tool, args),
  });
  await response.text();
  return response.status;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-telemetry-"));
  collector = await startCollector({ dir: path.join(dir, "collector"), logFile: path.join(dir, "collector.log") });
  server = await startTestServer({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_SERVICE_NAME: "mcp-bastion-test",
  });
  const reader = await server.mint({ sub: uniqueSub("traced"), roles: ["readonly"] });
  tokens.push(reader);
  for (const [tool, args] of [
    ["whoami", {}],
    ["search_nodes", { query: ARGUMENT_MARK }],
    ["search_nodes", { query: `${ARGUMENT_MARK}-again`, limit: 3 }],
  ] as const) {
    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    calls.push({ traceId, parentId, tool, status: await call(reader, tool, args, `00-${traceId}-${parentId}-01`) });
  }
  // A client that did not sample its trace: parent-based sampling keeps it out.
  await call(reader, "whoami", {}, `00-${unsampledTraceId}-${randomBytes(8).toString("hex")}-00`);
  // A refused token: the authentication span says deny and why, and nothing of the token.
  const forged = `${reader.slice(0, -4)}AAAA`;
  tokens.push(forged);
  await call(forged, "whoami", {}, `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`);
  // Closing flushes the SDK's batches; the exporter writes within its flush interval.
  await server.close();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    received = await collector.received();
    // Spans and log records come through two exporters: wait for both of every call.
    const { spans, records } = parse();
    if (
      calls.every(
        (one) =>
          spans.some((span) => span.traceId === one.traceId && span.name === "mcp.tool_call") &&
          records.some((record) => record.traceId === one.traceId),
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

after(async () => {
  await collector.process.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("OpenTelemetry traces and audit records in a real collector", () => {
  test("each tools/call is one trace, joined to the client's traceparent: request, authentication, tool call", () => {
    const { spans } = parse();
    for (const { traceId, parentId, tool, status } of calls) {
      assert.equal(status, 200, tool);
      const trace = spans.filter((span) => span.traceId === traceId);
      const request = trace.find((span) => span.name === "request");
      assert.ok(request, `a request span in trace ${traceId}`);
      assert.equal(request.parentSpanId, parentId, "the request span's parent is the client's span");
      assert.equal(attribute(request, "url.path"), "/mcp");
      const inTrace = new Set(trace.map((span) => span.spanId));
      for (const span of trace)
        if (span !== request)
          assert.ok(span.parentSpanId && inTrace.has(span.parentSpanId), `${span.name} hangs under the request`);
      const auth = trace.find((span) => span.name === "mcp.authenticate");
      assert.ok(auth, "an authentication span");
      assert.equal(attribute(auth, "mcp.decision"), "allow");
      assert.equal(attribute(auth, "mcp.role"), "readonly");
      const toolCalls = trace.filter((span) => span.name === "mcp.tool_call");
      assert.equal(toolCalls.length, 1, "one tool call span");
      const [toolCall] = toolCalls as [OtlpSpan];
      assert.equal(attribute(toolCall, "mcp.tool"), tool);
      assert.equal(attribute(toolCall, "mcp.role"), "readonly");
      assert.equal(attribute(toolCall, "mcp.decision"), "allow");
      assert.ok(Number(attribute(toolCall, "mcp.result_bytes")) > 0, "the output size");
      assert.ok(attribute(toolCall, "mcp.duration_ms") !== undefined, "the duration");
      if (tool === "search_nodes") {
        const queries = trace.filter((span) => attribute(span, "db.system.name") === "neo4j");
        assert.ok(queries.length >= 1, "the Neo4j query is a span of the request");
        for (const query of queries) {
          assert.deepEqual(
            (query.attributes ?? []).map((item) => item.key).sort(),
            ["db.namespace", "db.operation.name", "db.system.name"],
            "the query's kind, never its text or parameters",
          );
          assert.match(attribute(query, "db.operation.name") ?? "", /^[A-Z]+$/);
        }
      }
    }
    assert.ok(!spans.some((span) => span.traceId === unsampledTraceId), "an unsampled client trace is not recorded");
  });

  test("a refused token's authentication span says deny and the reason code", () => {
    const denied = parse().spans.filter(
      (span) => span.name === "mcp.authenticate" && attribute(span, "mcp.decision") === "deny",
    );
    assert.equal(denied.length, 1);
    assert.equal(attribute(denied[0] as OtlpSpan, "mcp.reason"), "invalid_token");
  });

  test("every audit event is also a log record, in the trace of its request", () => {
    const { records } = parse();
    for (const { traceId, tool } of calls) {
      const audit = records.filter(
        (record) => record.traceId === traceId && attribute(record, "mcp.audit.kind") === "tool_call",
      );
      assert.equal(audit.length, 1, `the tool call's audit record in trace ${traceId}`);
      assert.equal(attribute(audit[0] as OtlpLogRecord, "mcp.tool"), tool);
      assert.equal((audit[0] as OtlpLogRecord).body?.stringValue, "audit tool_call allow");
    }
    assert.ok(
      records.some(
        (record) =>
          attribute(record, "mcp.audit.kind") === "authentication" && attribute(record, "mcp.decision") === "deny",
      ),
      "the refusal is exported",
    );
  });

  test("nothing the collector received holds a token, the Neo4j password or a tool argument", async () => {
    assert.ok(received.length > 1000, "the collector received the export");
    const password = (await readFile(process.env.NEO4J_PASSWORD_FILE as string, "utf8")).trim();
    const secrets = [
      ...tokens,
      ...tokens.map((token) => token.split(".")[1] as string),
      ...tokens.map((token) => token.split(".")[2] as string),
      password,
      ARGUMENT_MARK,
    ];
    for (const secret of secrets) assert.ok(!received.includes(secret), `the export holds ${secret.slice(0, 12)}...`);
    assert.doesNotMatch(received, /eyJ[A-Za-z0-9_-]{10,}/, "no JWT at all");
    assert.doesNotMatch(received, /[Bb]earer /);
  });
});
