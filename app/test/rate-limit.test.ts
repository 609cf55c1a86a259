// The token bucket as a pure function of time: burst, sustained rate, Retry-After, overrides.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConcurrencyLimiter, limitFor, MemoryRateLimitStore, type RateLimitPolicy } from "../src/guards/rate-limit.js";

const limit = { perMinute: 60, burst: 10 };

describe("rate limit store", () => {
  test("a burst of 10, then one per second", () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 10; i++) assert.equal(store.take("alice:whoami", limit, 0).allowed, true, `request ${i + 1}`);
    const refused = store.take("alice:whoami", limit, 0);
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 1000);
    assert.equal(store.take("alice:whoami", limit, 999).allowed, false);
    assert.equal(store.take("alice:whoami", limit, 1000).allowed, true);
    assert.equal(store.take("alice:whoami", limit, 1000).allowed, false);
  });

  test("keys are independent: another user or tool has its own bucket", () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 10; i++) store.take("alice:whoami", limit, 0);
    assert.equal(store.take("alice:whoami", limit, 0).allowed, false);
    assert.equal(store.take("bob:whoami", limit, 0).allowed, true);
    assert.equal(store.take("alice:other", limit, 0).allowed, true);
  });

  test("a full refill never exceeds the burst", () => {
    const store = new MemoryRateLimitStore();
    store.take("k", limit, 0);
    const later = 3_600_000;
    for (let i = 0; i < 10; i++) assert.equal(store.take("k", limit, later).allowed, true);
    assert.equal(store.take("k", limit, later).allowed, false);
  });

  test("a clock that goes backwards grants nothing", () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 10; i++) store.take("k", limit, 10_000);
    assert.equal(store.take("k", limit, 0).allowed, false);
  });

  test("sweeping forgets only buckets that have refilled", () => {
    const store = new MemoryRateLimitStore();
    const slow = { perMinute: 1, burst: 1 };
    store.take("slow", slow, 0);
    for (let i = 0; i < 10_000; i++) store.take(`fast-${i % 50}`, limit, 1_000 + i);
    assert.equal(store.take("slow", slow, 20_000).allowed, false, "the slow bucket was not forgotten early");
  });
});

describe("limit selection", () => {
  const policy: RateLimitPolicy = {
    defaults: limit,
    roles: { admin: { perMinute: 600, burst: 50 } },
    tools: { expensive: { perMinute: 6, burst: 1 } },
  };
  test("tool override, then role override, then the default", () => {
    assert.deepEqual(limitFor(policy, "admin", "expensive"), { perMinute: 6, burst: 1 });
    assert.deepEqual(limitFor(policy, "admin", "whoami"), { perMinute: 600, burst: 50 });
    assert.deepEqual(limitFor(policy, "guest", "whoami"), limit);
    assert.deepEqual(limitFor(policy, "guest", undefined), limit);
  });
});

describe("concurrency limiter", () => {
  test("at most N in flight per user; a released slot is free again; release is idempotent", () => {
    const limiter = new ConcurrencyLimiter(2);
    const first = limiter.acquire("alice");
    limiter.acquire("alice");
    assert.throws(() => limiter.acquire("alice"), /at most 2 requests of one user may run at once/);
    assert.doesNotThrow(() => limiter.acquire("bob"), "another user is not affected");
    first();
    first();
    limiter.acquire("alice");
    assert.throws(() => limiter.acquire("alice"), "a double release did not free two slots");
  });
});
