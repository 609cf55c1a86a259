// The in-memory stores keep the same contracts as the Neo4j ones (neo4j-stores.test.ts runs
// them there), and what only a controllable clock can show: clean-up of aged entries.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryAuditStore } from "../../src/store/memory-audit-store.js";
import { MemoryGraphStore } from "../../src/store/memory-graph-store.js";
import { MemorySecurityStore } from "../../src/store/memory-security-store.js";
import { auditStoreContract } from "../support/audit-store-contract.js";
import { graphStoreContract } from "../support/graph-store-contract.js";
import { securityStoreContract } from "../support/security-store-contract.js";

const securityStore = new MemorySecurityStore();
const auditStore = new MemoryAuditStore();
const graphStore = new MemoryGraphStore();
securityStoreContract("memory", () => securityStore);
auditStoreContract("memory", () => auditStore);
graphStoreContract("memory", () => graphStore);

describe("memory stores on a clock of their own", () => {
  test("clean-up removes stale revoke-alls and idle throttles, and keeps locks in force", async () => {
    let now = 1_000_000_000;
    const store = new MemorySecurityStore(() => now);
    await store.revokeAll("old", "admin", "t");
    await store.recordFailure("ip:idle", { maxFailures: 5, windowMs: 1_000, durationMs: 1_000 });
    await store.recordFailure("ip:locked", { maxFailures: 1, windowMs: 1_000, durationMs: 3 * 3_600_000 });
    now += 2 * 3_600_000;
    await store.revokeAll("new", "admin", "t");
    assert.equal(await store.cleanup(3_600_000, 1_000), 2, "the old revoke-all and the idle throttle");
    const { revokeAlls, locks } = await store.snapshot(0, 1_000);
    assert.deepEqual(
      revokeAlls.map((entry) => entry.sub),
      ["new"],
    );
    assert.deepEqual(
      locks.map((lock) => lock.key),
      ["ip:locked"],
    );
  });

  test("the audit store holds at most its capacity, dropping the oldest first", async () => {
    const store = new MemoryAuditStore(3);
    await store.writeBatch(
      [1, 2, 3, 4, 5].map((at) => ({ kind: "tool_call" as const, decision: "allow" as const, principal: "p", at })),
    );
    assert.deepEqual(
      (await store.search({ principal: "p", limit: 10 })).map((event) => Date.parse(event.at)),
      [5, 4, 3],
    );
  });
});
