// /metrics on its own listener: security decisions, tool calls and latency are counted, and
// nothing an attacker names becomes a label.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
before(async () => {
  server = await startTestServer({ RATE_LIMIT_BURST: "2", LOCKOUT_MAX_FAILURES: "1000" });
});
after(() => server.close());

async function scrape(): Promise<string> {
  const response = await server.server.metricsApp.inject({ method: "GET", url: "/metrics" });
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers["content-type"]), /^text\/plain/);
  return response.body;
}

function value(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  test("decisions, tool calls and latency are counted", async () => {
    const before = await scrape();
    const sub = uniqueSub("metrics");
    const guest = await server.mint({ sub, roles: ["guest"] });
    await callTool(server, guest, "whoami");
    await callTool(server, guest, "whoami");
    await callTool(server, guest, "whoami"); // third in the burst of 2: rate limited
    await callTool(server, guest, "security_stats"); // needs admin
    await callTool(server, "garbage.garbage.garbage", "whoami");
    await callTool(server, guest, "definitely_not_a_tool_<script>");
    const after = await scrape();

    const delta = (series: string) => value(after, series) - value(before, series);
    assert.equal(delta('mcp_tool_calls_total{tool="whoami",status="allow"}'), 2);
    assert.equal(delta('mcp_rate_limited_total{reason="rate_limited"}'), 1);
    assert.equal(delta('mcp_permission_denials_total{reason="insufficient_scope"}'), 1);
    assert.equal(delta('mcp_auth_results_total{result="deny",reason="invalid_token"}'), 1);
    // Five requests with the guest token: every acceptance is counted, but stored as one event.
    assert.equal(delta('mcp_auth_results_total{result="allow",reason="ok"}'), 5);
    await server.server.app.auditor.flush();
    const { records } = await server.server.driver.executeQuery(
      "MATCH (e:AuditEvent {kind: 'authentication', decision: 'allow', principal: $sub}) RETURN count(e) AS n",
      { sub },
    );
    assert.equal(Number(records[0]?.get("n")), 1);
    assert.ok(delta('mcp_tool_call_duration_seconds_count{tool="whoami"}') >= 2);
    assert.ok(delta('mcp_http_request_duration_seconds_count{method="POST",route="/mcp",status="200"}') >= 2);
    assert.match(after, /^mcp_lockouts_total \d+$/m);
    assert.match(after, /^mcp_neo4j_connections_in_use \d+$/m);
    assert.match(after, /^mcp_process_resident_memory_bytes \d+/m);
    assert.ok(!after.includes("definitely_not_a_tool"), "an attacker-chosen tool name is no label");
  });

  test("the MCP port does not serve /metrics", async () => {
    const response = await fetch(`${server.baseUrl}/metrics`);
    assert.equal(response.status, 404);
    const probe = await server.server.app.inject({ method: "GET", url: "/metrics/../metrics" });
    assert.equal(probe.statusCode, 404);
  });

  test("a lockout is counted", async () => {
    const locked = await startTestServer({ LOCKOUT_MAX_FAILURES: "2" }, { keys: server.keys });
    try {
      const sub = uniqueSub("locked");
      const expired = await locked.mint({ sub, roles: ["guest"], ttlSeconds: -120 });
      await callTool(locked, expired, "whoami");
      await callTool(locked, expired, "whoami");
      const response = await locked.server.metricsApp.inject({ method: "GET", url: "/metrics" });
      assert.equal(value(response.body, "mcp_lockouts_total"), 1);
    } finally {
      await locked.close();
    }
  });
});
