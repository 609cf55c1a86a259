// The contract every SecurityStore keeps, run against Neo4j (neo4j-stores.test.ts, the real
// Neo4j of the test run) and against memory (fast/memory-stores.test.ts). Keys and subs are
// unique per test, so the shared Neo4j's other entries never change an outcome.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { SecurityStore } from "../../src/store/security-store.js";
import { uniqueSub } from "./client.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function securityStoreContract(name: string, store: () => SecurityStore): void {
  describe(`${name}: the security store contract`, () => {
    test("a revocation travels in the snapshot until it expires; the first write of an id stands", async () => {
      const sub = uniqueSub("revoked");
      const expiresAt = Date.now() + 600_000;
      await store().revoke({ id: `${sub}-live`, sub, reason: "lost", revokedBy: sub, expiresAt });
      await store().revoke({ id: `${sub}-live`, sub, reason: "again", revokedBy: sub, expiresAt: expiresAt + 1 });
      await store().revoke({ id: `${sub}-gone`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() - 1_000 });
      const { revocations } = await store().snapshot(0, 5_000);
      const mine = revocations.filter((entry) => entry.id.startsWith(sub));
      assert.deepEqual(mine, [{ id: `${sub}-live`, expiresAt }]);
    });

    test("revoke-all returns its cut-off on the store's clock; snapshots since a later moment leave it out", async () => {
      const sub = uniqueSub("revoke-all");
      const before = await store().revokeAll(sub, "admin", "offboarded");
      assert.ok(Math.abs(before - Date.now()) < 5_000, `cut-off ${before} is the store's now`);
      const everything = await store().snapshot(0, 5_000);
      assert.deepEqual(
        everything.revokeAlls.filter((entry) => entry.sub === sub),
        [{ sub, before }],
      );
      const later = await store().snapshot(everything.dbNow + 1, 5_000);
      assert.ok(!later.revokeAlls.some((entry) => entry.sub === sub));
    });

    test("failures lock a key when they reach the limit within the window, for the lock's duration", async () => {
      const key = `sub:${uniqueSub("lock")}`;
      const policy = { maxFailures: 3, windowMs: 60_000, durationMs: 10_000 };
      assert.equal(await store().recordFailure(key, policy), 0);
      assert.equal(await store().recordFailure(key, policy), 0);
      const locked = await store().recordFailure(key, policy);
      assert.ok(locked > 9_000 && locked <= 10_000, `locked for ${locked} ms`);
      const { locks } = await store().snapshot(0, 5_000);
      const lock = locks.find((entry) => entry.key === key);
      assert.ok(lock && lock.remainingMs > 9_000 && lock.remainingMs <= 10_000, JSON.stringify(lock));
      assert.equal((await store().stats()).activeLockouts >= 1, true);
    });

    test("failures outside the window do not add up to a lock", async () => {
      const key = `sub:${uniqueSub("window")}`;
      const policy = { maxFailures: 3, windowMs: 300, durationMs: 10_000 };
      assert.equal(await store().recordFailure(key, policy), 0);
      assert.equal(await store().recordFailure(key, policy), 0);
      await sleep(400);
      assert.equal(await store().recordFailure(key, policy), 0, "the first two fell out of the window");
      assert.equal(await store().recordFailure(key, policy), 0);
      const remaining = await store().recordFailure(key, policy);
      assert.ok(remaining > 9_000 && remaining <= 10_000, `locked for ${remaining} ms`);
    });

    test("a snapshot carries only locks made since its cut-off, so old locks do not travel again", async () => {
      const key = `sub:${uniqueSub("snapshot")}`;
      const policy = { maxFailures: 1, windowMs: 60_000, durationMs: 60_000 };
      assert.ok((await store().recordFailure(key, policy)) > 0);
      const everything = await store().snapshot(0, 5_000);
      assert.ok(everything.locks.some((lock) => lock.key === key));
      const later = await store().snapshot(everything.dbNow + 1, 5_000);
      assert.ok(!later.locks.some((lock) => lock.key === key));
    });

    test("clean-up removes expired revocations and keeps what is still in force", async () => {
      const sub = uniqueSub("cleanup");
      await store().revoke({ id: `${sub}-expired`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() - 1_000 });
      await store().revoke({ id: `${sub}-live`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() + 600_000 });
      await store().revokeAll(sub, sub, "t");
      const key = `sub:${sub}`;
      await store().recordFailure(key, { maxFailures: 1, windowMs: 60_000, durationMs: 60_000 });
      const statsBefore = await store().stats();
      assert.ok((await store().cleanup(3_600_000, 60_000)) >= 1, "the expired revocation is removed");
      const statsAfter = await store().stats();
      assert.equal(statsAfter.activeRevocations, statsBefore.activeRevocations, "live revocations stay");
      const { revocations, revokeAlls, locks } = await store().snapshot(0, 5_000);
      assert.ok(revocations.some((entry) => entry.id === `${sub}-live`));
      assert.ok(
        revokeAlls.some((entry) => entry.sub === sub),
        "a recent revoke-all stays",
      );
      assert.ok(
        locks.some((lock) => lock.key === key),
        "a lock in force stays",
      );
    });

    test("stats count what is active", async () => {
      const before = await store().stats();
      const sub = uniqueSub("stats");
      await store().revoke({ id: `${sub}-a`, sub, reason: "t", revokedBy: sub, expiresAt: Date.now() + 60_000 });
      await store().revokeAll(sub, sub, "t");
      const after = await store().stats();
      assert.equal(after.activeRevocations, before.activeRevocations + 1);
      assert.equal(after.revokeAlls, before.revokeAlls + 1);
    });
  });
}
