// audit_search: the trail by principal, tool, kind, decision and time; filters are data, never
// query text; retention deletes what is older than the configured days.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
let admin: string;
before(async () => {
  server = await startTestServer({ RATE_LIMIT_BURST: "1000" }); // one admin runs every search here
  admin = await server.mint({ sub: uniqueSub("auditor"), roles: ["admin"] });
});
after(() => server.close());

async function search(
  args: Record<string, unknown>,
): Promise<{ isError?: boolean; body: { count: number; events: Array<Record<string, unknown>> } | string }> {
  const response = await callTool(server, admin, "audit_search", args);
  assert.equal(response.status, 200);
  const { result } = (await response.json()) as { result: { isError?: boolean; content: Array<{ text: string }> } };
  const text = result.content[0]?.text ?? "";
  return { isError: result.isError, body: result.isError ? text : JSON.parse(text) };
}

describe("audit_search", () => {
  test("finds a user's calls and refusals by principal, tool, kind and decision, newest first", async () => {
    const sub = uniqueSub("traced");
    const token = await server.mint({ sub, roles: ["guest"] });
    const started = new Date().toISOString();
    await callTool(server, token, "whoami");
    await callTool(server, token, "security_stats");
    await server.server.app.auditor.flush();

    const all = await search({ principal: sub });
    assert.ok(typeof all.body !== "string");
    const kinds = all.body.events.map((event) => `${event.kind}:${event.decision}:${event.tool ?? ""}`);
    assert.ok(kinds.includes("tool_call:allow:whoami"), kinds.join(","));
    assert.ok(kinds.includes("tool_call:deny:security_stats"), kinds.join(","));
    const times = all.body.events.map((event) => Date.parse(String(event.at)));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );

    const denied = await search({ principal: sub, kind: "tool_call", decision: "deny" });
    assert.ok(typeof denied.body !== "string");
    assert.deepEqual(
      denied.body.events.map((event) => [event.tool, event.reason]),
      [["security_stats", "insufficient_scope"]],
    );

    const byTool = await search({ principal: sub, tool: "whoami", from: started });
    assert.ok(typeof byTool.body !== "string");
    assert.equal(byTool.body.count, 1);
    const none = await search({ principal: sub, to: started });
    assert.ok(typeof none.body !== "string");
    assert.equal(none.body.count, 0);
  });

  test("a Cypher fragment in a filter is a value, not query text", async () => {
    for (const principal of ["' OR 1=1 //", 'x" OR true RETURN e //', "*"]) {
      const found = await search({ principal });
      assert.ok(typeof found.body !== "string");
      assert.equal(found.body.count, 0, principal);
    }
  });

  test("bad filters are refused with the field named", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ from: "yesterday" }, /from/],
      [{ kind: "everything" }, /kind/],
      [{ limit: 100000 }, /limit/],
      [{ from: "2030-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z" }, /from must be before to/],
      [{ cypher: "MATCH (n) DETACH DELETE n" }, /cypher|Unrecognized/i],
    ];
    for (const [args, message] of cases) {
      const result = await search(args);
      assert.equal(result.isError, true, JSON.stringify(args));
      assert.match(String(result.body), message);
    }
  });

  test("retention deletes events older than the cut-off and keeps newer ones", async () => {
    const sub = uniqueSub("old");
    await server.server.driver.executeQuery(
      "CREATE (:AuditEvent {id: $a, at: 1000, kind: 'tool_call', decision: 'allow', principal: $sub}), (:AuditEvent {id: $b, at: timestamp(), kind: 'tool_call', decision: 'allow', principal: $sub})",
      { a: `${sub}-a`, b: `${sub}-b`, sub },
    );
    const { Neo4jAuditStore } = await import("../src/store/audit-store.js");
    const removed = await new Neo4jAuditStore(server.server.driver, "neo4j").deleteOlderThan(Date.now() - 86_400_000);
    assert.ok(removed >= 1);
    const left = await search({ principal: sub });
    assert.ok(typeof left.body !== "string");
    assert.deepEqual(
      left.body.events.map((event) => event.id),
      [`${sub}-b`],
    );
  });
});
