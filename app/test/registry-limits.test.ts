// The registry's limits on every tool: results capped with a visible marker (and the cut
// audited), handlers stopped at the timeout with their abort signal fired.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import neo4j, { type Driver } from "neo4j-driver";
import pino from "pino";
import { z } from "zod";
import type { Principal } from "../src/auth/authenticator.js";
import { defineTool, textResult, ToolRegistry, type ToolDefinition } from "../src/mcp/registry.js";
import { Neo4jAuditStore } from "../src/store/audit-store.js";
import { Auditor } from "../src/telemetry/audit.js";
import { neo4jAccess } from "../../test/support/service-env.js";
import { uniqueSub } from "./support/harness.js";

let driver: Driver;
let auditor: Auditor;
let abortedBy: unknown;
before(() => {
  const access = neo4jAccess();
  driver = neo4j.driver(access.uri, neo4j.auth.basic(access.user, access.password), { disableLosslessIntegers: true });
  auditor = new Auditor(new Neo4jAuditStore(driver, "neo4j"), pino({ level: "silent" }));
});
after(() => driver.close());

const tools = [
  defineTool({
    name: "big" as never,
    title: "Big",
    description: "returns 1 MB",
    inputSchema: z.object({}).strict(),
    handler: async () => textResult("\u00e9".repeat(512 * 1024)),
  }),
  defineTool({
    name: "slow" as never,
    title: "Slow",
    description: "waits for its abort signal",
    inputSchema: z.object({}).strict(),
    handler: (_args, { signal }) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          abortedBy = signal.reason;
          resolve(textResult("stopped"));
        });
      }),
  }),
] as ToolDefinition[];

const registry = () =>
  new ToolRegistry(tools, auditor, { maxResultBytes: 100 * 1024, timeoutMs: 300 }, { big: "guest", slow: "guest" });

function principal(): Principal {
  return { sub: uniqueSub("limits"), role: "guest", tenant: "default", token: {} as Principal["token"] };
}

describe("registry limits", () => {
  test("a result over the cap is cut with a visible marker, and the cut is audited", async () => {
    const caller = principal();
    const result = await registry().call("big", {}, { principal: caller, signal: new AbortController().signal });
    const bytes = Buffer.byteLength(JSON.stringify(result.content));
    assert.ok(bytes <= 100 * 1024 + 200, `${bytes} bytes`);
    assert.match((result.content.at(-1) as { text: string }).text, /\[truncated: the result exceeded 102400 bytes/);
    await auditor.flush();
    const { records } = await driver.executeQuery(
      "MATCH (e:AuditEvent {principal: $sub, tool: 'big'}) RETURN e.reason AS reason, e.resultBytes AS bytes",
      { sub: caller.sub },
    );
    assert.equal(records[0]?.get("reason"), "truncated");
    assert.ok((records[0]?.get("bytes") as number) > 1_000_000);
  });

  test("a tool over its time is stopped: an error result, and its signal aborted", async () => {
    abortedBy = undefined;
    const started = Date.now();
    const result = await registry().call("slow", {}, { principal: principal(), signal: new AbortController().signal });
    assert.ok(Date.now() - started < 2_000);
    assert.equal(result.isError, true);
    assert.match((result.content[0] as { text: string }).text, /tool slow timed out after 300 ms/);
    assert.equal((abortedBy as Error | undefined)?.name, "ToolTimeoutError");
  });

  test("a client that goes away aborts the tool", async () => {
    abortedBy = undefined;
    const client = new AbortController();
    const call = registry().call("slow", {}, { principal: principal(), signal: client.signal });
    client.abort(new Error("client closed"));
    const result = await call;
    assert.equal((result.content[0] as { text: string }).text, "stopped");
    assert.equal((abortedBy as Error).message, "client closed");
  });
});
