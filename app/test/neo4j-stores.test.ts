// The Neo4j stores against the real Neo4j of the test run: the contracts the in-memory stores
// keep too (fast/memory-stores.test.ts), and clean-up of entries aged in the database itself.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import neo4j, { type Driver } from "neo4j-driver";
import { Neo4jAuditStore } from "../src/store/audit-store.js";
import { Neo4jGraphStore } from "../src/store/graph-store.js";
import { Neo4jSecurityStore } from "../src/store/security-store.js";
import { ensureSchema } from "../src/store/schema.js";
import { neo4jAccess } from "../../test/support/service-env.js";
import { auditStoreContract } from "./support/audit-store-contract.js";
import { graphStoreContract } from "./support/graph-store-contract.js";
import { uniqueSub } from "./support/client.js";
import { securityStoreContract } from "./support/security-store-contract.js";

let driver: Driver;
let store: Neo4jSecurityStore;
let auditStore: Neo4jAuditStore;
let graphStore: Neo4jGraphStore;
before(async () => {
  const access = neo4jAccess();
  driver = neo4j.driver(access.uri, neo4j.auth.basic(access.user, access.password), { disableLosslessIntegers: true });
  await ensureSchema(driver, "neo4j");
  store = new Neo4jSecurityStore(driver, "neo4j");
  auditStore = new Neo4jAuditStore(driver, "neo4j");
  graphStore = new Neo4jGraphStore(driver, "neo4j");
});
after(() => driver.close());

securityStoreContract("Neo4j", () => store);
auditStoreContract("Neo4j", () => auditStore);
graphStoreContract("Neo4j", () => graphStore);

describe("Neo4j security store", () => {
  test("clean-up removes expired revocations, stale revoke-alls and old throttles, and keeps the rest", async () => {
    const sub = uniqueSub("cleanup");
    await store.revoke({ id: `${sub}-expired`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() - 1_000 });
    await store.revoke({ id: `${sub}-live`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() + 600_000 });
    await store.revokeAll(`${sub}-old`, sub, "t");
    await driver.executeQuery("MATCH (a:RevokeAll {sub: $sub}) SET a.before = a.before - 7200000", {
      sub: `${sub}-old`,
    });
    await store.revokeAll(`${sub}-new`, sub, "t");
    await store.recordFailure(`sub:${sub}`, { maxFailures: 5, windowMs: 1_000, durationMs: 1_000 });
    await driver.executeQuery("MATCH (t:AuthThrottle {key: $key}) SET t.updatedAt = t.updatedAt - 5000", {
      key: `sub:${sub}`,
    });

    const removed = await store.cleanup(3_600_000, 1_000);
    assert.ok(removed >= 3, `removed ${removed}`);
    const { records } = await driver.executeQuery(
      `OPTIONAL MATCH (r:RevokedToken) WHERE r.sub = $sub
       WITH collect(r.id) AS revocations
       OPTIONAL MATCH (a:RevokeAll) WHERE a.sub STARTS WITH $sub
       WITH revocations, collect(a.sub) AS revokeAlls
       OPTIONAL MATCH (t:AuthThrottle {key: $key})
       RETURN revocations, revokeAlls, count(t) AS throttles`,
      { sub, key: `sub:${sub}` },
    );
    assert.deepEqual(records[0]?.get("revocations"), [`${sub}-live`]);
    assert.deepEqual(records[0]?.get("revokeAlls"), [`${sub}-new`]);
    assert.equal(records[0]?.get("throttles"), 0);
  });
});
