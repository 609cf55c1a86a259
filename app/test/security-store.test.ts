// The Neo4j side of revocation and lockout: clean-up of what can no longer matter, and stats.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import neo4j, { type Driver } from "neo4j-driver";
import { SecurityStore } from "../src/store/security-store.js";
import { ensureSchema } from "../src/store/schema.js";
import { neo4jAccess } from "../../test/support/service-env.js";
import { uniqueSub } from "./support/harness.js";

let driver: Driver;
let store: SecurityStore;
before(async () => {
  const access = neo4jAccess();
  driver = neo4j.driver(access.uri, neo4j.auth.basic(access.user, access.password), { disableLosslessIntegers: true });
  await ensureSchema(driver, "neo4j");
  store = new SecurityStore(driver, "neo4j");
});
after(() => driver.close());

describe("security store", () => {
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

  test("failures outside the window do not add up to a lock", async () => {
    const key = `sub:${uniqueSub("window")}`;
    const policy = { maxFailures: 3, windowMs: 300, durationMs: 10_000 };
    assert.equal(await store.recordFailure(key, policy), 0);
    assert.equal(await store.recordFailure(key, policy), 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await store.recordFailure(key, policy), 0, "the first two fell out of the window");
    assert.equal(await store.recordFailure(key, policy), 0);
    const remaining = await store.recordFailure(key, policy);
    assert.ok(remaining > 9_000 && remaining <= 10_000, `locked for ${remaining} ms`);
  });

  test("a snapshot carries only locks made since its cut-off, so old locks do not travel again", async () => {
    const key = `sub:${uniqueSub("snapshot")}`;
    const policy = { maxFailures: 1, windowMs: 60_000, durationMs: 60_000 };
    assert.ok((await store.recordFailure(key, policy)) > 0);
    const everything = await store.snapshot(0, 5_000);
    assert.ok(everything.locks.some((lock) => lock.key === key));
    const later = await store.snapshot(everything.dbNow + 1, 5_000);
    assert.ok(!later.locks.some((lock) => lock.key === key));
  });

  test("stats count what is active", async () => {
    const before = await store.stats();
    const sub = uniqueSub("stats");
    await store.revoke({ id: `${sub}-a`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() + 60_000 });
    const after = await store.stats();
    assert.equal(after.activeRevocations, before.activeRevocations + 1);
  });
});
