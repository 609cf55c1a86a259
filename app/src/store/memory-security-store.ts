// The security store of one process, in memory: the same contract as Neo4jSecurityStore (the
// shared contract test runs against both), for a single-process development server and the
// fast test tier. Nothing survives the process and nothing is shared with another replica, so a
// deployment of several replicas keeps its security state in Neo4j.
import type {
  RevocationInput,
  SecuritySnapshot,
  SecurityStats,
  SecurityStore,
  ThrottlePolicy,
} from "./security-store.js";

interface Revocation extends RevocationInput {
  revokedAt: number;
}

interface RevokeAll {
  before: number;
  at: number;
  revokedBy: string;
  reason: string;
}

interface Throttle {
  failures: number[];
  updatedAt: number;
  lockedUntil: number;
  lockedAt: number | undefined;
}

export class MemorySecurityStore implements SecurityStore {
  private readonly revocations = new Map<string, Revocation>();
  private readonly revokeAlls = new Map<string, RevokeAll>();
  private readonly throttles = new Map<string, Throttle>();

  /** `now` is the store's clock (the database's timestamp() for the Neo4j store). */
  constructor(private readonly now: () => number = Date.now) {}

  async revoke(entry: RevocationInput): Promise<void> {
    if (!this.revocations.has(entry.id)) this.revocations.set(entry.id, { ...entry, revokedAt: this.now() });
  }

  async revokeAll(sub: string, revokedBy: string, reason: string): Promise<number> {
    const now = this.now();
    this.revokeAlls.set(sub, { before: now, at: now, revokedBy, reason });
    return now;
  }

  async recordFailure(key: string, policy: ThrottlePolicy): Promise<number> {
    const now = this.now();
    const throttle = this.throttles.get(key) ?? { failures: [], updatedAt: now, lockedUntil: 0, lockedAt: undefined };
    // As the Cypher does: the failures still in the window, at most maxFailures - 1 of them, and this one.
    const inWindow = throttle.failures.filter((at) => at > now - policy.windowMs);
    const recent = [...inWindow.slice(-(policy.maxFailures - 1)), now];
    const locking = recent.length >= policy.maxFailures;
    throttle.failures = recent;
    throttle.updatedAt = now;
    if (locking) {
      throttle.lockedUntil = now + policy.durationMs;
      throttle.lockedAt = now;
    }
    this.throttles.set(key, throttle);
    return throttle.lockedUntil > now ? throttle.lockedUntil - now : 0;
  }

  /** No query to time out here: `_timeoutMs` bounds Neo4j's snapshot query only. */
  async snapshot(since: number, _timeoutMs?: number): Promise<SecuritySnapshot> {
    const now = this.now();
    return {
      dbNow: now,
      revocations: [...this.revocations.values()]
        .filter((entry) => entry.revokedAt >= since && entry.expiresAt > now)
        .map(({ id, expiresAt }) => ({ id, expiresAt })),
      revokeAlls: [...this.revokeAlls]
        .filter(([, entry]) => entry.at >= since)
        .map(([sub, { before }]) => ({ sub, before })),
      locks: [...this.throttles]
        .filter(([, throttle]) => throttle.lockedAt !== undefined && throttle.lockedAt >= since)
        .filter(([, throttle]) => throttle.lockedUntil > now)
        .map(([key, throttle]) => ({ key, remainingMs: throttle.lockedUntil - now })),
    };
  }

  async cleanup(maxTokenLifetimeMs: number, throttleWindowMs: number): Promise<number> {
    const now = this.now();
    let removed = 0;
    const sweep = <T>(entries: Map<string, T>, expired: (entry: T) => boolean) => {
      for (const [key, entry] of entries) {
        if (expired(entry)) {
          entries.delete(key);
          removed += 1;
        }
      }
    };
    sweep(this.revocations, (entry) => entry.expiresAt < now);
    sweep(this.revokeAlls, (entry) => entry.before < now - maxTokenLifetimeMs);
    sweep(this.throttles, (entry) => entry.updatedAt < now - throttleWindowMs && entry.lockedUntil < now);
    return removed;
  }

  async stats(): Promise<SecurityStats> {
    const now = this.now();
    return {
      activeRevocations: [...this.revocations.values()].filter((entry) => entry.expiresAt > now).length,
      revokeAlls: this.revokeAlls.size,
      activeLockouts: [...this.throttles.values()].filter((throttle) => throttle.lockedUntil > now).length,
    };
  }
}
