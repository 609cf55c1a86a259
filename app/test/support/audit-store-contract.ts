// The contract every AuditStore keeps, run against Neo4j (neo4j-stores.test.ts) and memory
// (fast/memory-stores.test.ts): filters narrow, newest first, a limit, retention by time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AuditEvent, AuditStore } from "../../src/store/audit-store.js";
import { uniqueSub } from "./client.js";

export function auditStoreContract(name: string, store: () => AuditStore): void {
  describe(`${name}: the audit store contract`, () => {
    test("search narrows by principal, tool, kind, decision and time, newest first, within the limit", async () => {
      const principal = uniqueSub("audited");
      const at = Date.now() - 10_000;
      const events: Array<AuditEvent & { at: number }> = [
        { kind: "authentication", decision: "allow", principal, reason: "ok", at },
        { kind: "tool_call", decision: "allow", principal, tool: "whoami", role: "guest", durationMs: 3, at: at + 1 },
        {
          kind: "tool_call",
          decision: "deny",
          principal,
          tool: "security_stats",
          reason: "insufficient_scope",
          at: at + 2,
        },
        { kind: "tool_call", decision: "allow", principal: `${principal}-other`, tool: "whoami", at: at + 3 },
      ];
      await store().writeBatch(events);
      await store().writeBatch([]);

      const all = await store().search({ principal, limit: 10 });
      assert.deepEqual(
        all.map((event) => [event.kind, event.decision, event.tool]),
        [
          ["tool_call", "deny", "security_stats"],
          ["tool_call", "allow", "whoami"],
          ["authentication", "allow", undefined],
        ],
      );
      const [newest] = all;
      assert.equal(newest?.at, new Date(at + 2).toISOString());
      assert.equal(newest?.reason, "insufficient_scope");
      assert.match(newest?.id ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(new Set(all.map((event) => event.id)).size, 3, "each event has an id of its own");
      assert.equal("durationMs" in (newest ?? {}), false, "a field an event lacks is absent");

      const narrow = async (query: Partial<Parameters<AuditStore["search"]>[0]>) =>
        (await store().search({ principal, limit: 10, ...query })).map((event) => event.at);
      assert.equal((await narrow({ tool: "whoami" })).length, 1);
      assert.equal((await narrow({ kind: "tool_call", decision: "deny" })).length, 1);
      assert.equal((await narrow({ decision: "error" })).length, 0);
      assert.deepEqual(await narrow({ from: at + 1, to: at + 2 }), [new Date(at + 1).toISOString()]);
      assert.equal((await narrow({ limit: 2 })).length, 2);
    });

    test("a filter is a value: text that looks like a query matches nothing", async () => {
      for (const principal of ["' OR 1=1 //", 'x" OR true RETURN e //', "*"])
        assert.deepEqual(await store().search({ principal, limit: 10 }), [], principal);
    });

    test("retention deletes the events older than the cut-off and keeps newer ones", async () => {
      const principal = uniqueSub("retained");
      await store().writeBatch([
        { kind: "tool_call", decision: "allow", principal, tool: "whoami", at: 1_000 },
        { kind: "tool_call", decision: "allow", principal, tool: "whoami", at: Date.now() },
      ]);
      assert.ok((await store().deleteOlderThan(Date.now() - 86_400_000)) >= 1);
      const left = await store().search({ principal, limit: 10 });
      assert.equal(left.length, 1);
      assert.ok(Date.parse(left[0]?.at ?? "") > Date.now() - 60_000);
    });
  });
}
