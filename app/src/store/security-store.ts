// Revocations, user-level revoke-all and failed-authentication throttles, and their Neo4j store. Times are
// milliseconds on the database's clock (timestamp()), so replicas with skewed clocks agree.
import type { Driver } from "neo4j-driver";

export interface RevocationInput {
  /** Unique id of the revocation: the token hash, or a jti scoped to a sub (or to every sub). */
  id: string;
  tokenHash?: string;
  jti?: string;
  sub?: string;
  reason: string;
  revokedBy: string;
  /** When the revoked token(s) expire anyway, ms since the epoch; the entry is kept until then. */
  expiresAt: number;
}

export interface SecuritySnapshot {
  /** Database clock when the snapshot was read. */
  dbNow: number;
  revocations: Array<{ id: string; expiresAt: number }>;
  revokeAlls: Array<{ sub: string; before: number }>;
  locks: Array<{ key: string; remainingMs: number }>;
}

export interface SecurityStats {
  activeRevocations: number;
  revokeAlls: number;
  activeLockouts: number;
}

export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  durationMs: number;
}

/**
 * Where revocations, revoke-alls and failed-authentication throttles are kept, shared by every
 * replica: Neo4j in a deployment (Neo4jSecurityStore), memory for one process
 * (MemorySecurityStore). Times are the store's clock, ms since the epoch.
 */
export interface SecurityStore {
  /** Records a revocation; a second one with the same id changes nothing. */
  revoke(entry: RevocationInput): Promise<void>;
  /** Every token of `sub` issued before now is revoked; returns the cut-off (store clock, ms). */
  revokeAll(sub: string, revokedBy: string, reason: string): Promise<number>;
  /**
   * Counts one failed authentication for `key` within the window; locks the key when the count
   * reaches `maxFailures`. Returns the remaining lock time in ms (0 when not locked).
   */
  recordFailure(key: string, policy: ThrottlePolicy): Promise<number>;
  /** Revocations, revoke-alls and locks written since `since` (store clock) and still in force. */
  snapshot(since: number, timeoutMs: number): Promise<SecuritySnapshot>;
  /** Deletes what can no longer matter: expired revocations, old revoke-alls and throttles. */
  cleanup(maxTokenLifetimeMs: number, throttleWindowMs: number): Promise<number>;
  stats(): Promise<SecurityStats>;
}

export class Neo4jSecurityStore implements SecurityStore {
  constructor(
    private readonly driver: Driver,
    private readonly database: string,
  ) {}

  async revoke(entry: RevocationInput): Promise<void> {
    await this.driver.executeQuery(
      `MERGE (r:RevokedToken {id: $id})
       ON CREATE SET r.tokenHash = $tokenHash, r.jti = $jti, r.sub = $sub, r.reason = $reason,
                     r.revokedBy = $revokedBy, r.revokedAt = timestamp(), r.expiresAt = toInteger($expiresAt)`,
      {
        id: entry.id,
        tokenHash: entry.tokenHash ?? null,
        jti: entry.jti ?? null,
        sub: entry.sub ?? null,
        reason: entry.reason,
        revokedBy: entry.revokedBy,
        expiresAt: entry.expiresAt,
      },
      { database: this.database },
    );
  }

  /** Every token of `sub` issued before now is revoked; returns the cut-off (db clock, ms). */
  async revokeAll(sub: string, revokedBy: string, reason: string): Promise<number> {
    const { records } = await this.driver.executeQuery(
      `MERGE (a:RevokeAll {sub: $sub})
       SET a.before = timestamp(), a.at = timestamp(), a.revokedBy = $revokedBy, a.reason = $reason
       RETURN a.before AS before`,
      { sub, revokedBy, reason },
      { database: this.database },
    );
    return records[0]?.get("before") as number;
  }

  /**
   * Counts one failed authentication for `key` within the window; locks the key when the count
   * reaches `maxFailures`. Returns the remaining lock time in ms (0 when not locked).
   */
  async recordFailure(key: string, opts: ThrottlePolicy): Promise<number> {
    const { records } = await this.driver.executeQuery(
      `MERGE (t:AuthThrottle {key: $key})
       WITH t, timestamp() AS now
       WITH t, now, [f IN coalesce(t.failures, []) WHERE f > now - $windowMs][-($max - 1)..] + now AS recent
       WITH t, now, recent, size(recent) >= $max AS locking
       SET t.failures = recent, t.updatedAt = now,
           t.lockedUntil = CASE WHEN locking THEN now + toInteger($durationMs) ELSE coalesce(t.lockedUntil, 0) END,
           t.lockedAt = CASE WHEN locking THEN now ELSE t.lockedAt END
       RETURN CASE WHEN t.lockedUntil > now THEN t.lockedUntil - now ELSE 0 END AS remainingMs`,
      { key, windowMs: opts.windowMs, max: opts.maxFailures, durationMs: opts.durationMs },
      { database: this.database },
    );
    return records[0]?.get("remainingMs") as number;
  }

  /**
   * Revocations, revoke-alls and locks written since `since` (db clock). Only changes travel:
   * an attacker who makes many locks (one per forged sub) grows each pull by its own rate,
   * not by everything still locked.
   */
  async snapshot(since: number, timeoutMs: number): Promise<SecuritySnapshot> {
    const { records } = await this.driver.executeQuery(
      `CALL { MATCH (r:RevokedToken) WHERE r.revokedAt >= $since AND r.expiresAt > timestamp()
              RETURN collect(r {.id, .expiresAt}) AS revocations }
       CALL { MATCH (a:RevokeAll) WHERE a.at >= $since RETURN collect(a {.sub, .before}) AS revokeAlls }
       CALL { MATCH (t:AuthThrottle) WHERE t.lockedAt >= $since AND t.lockedUntil > timestamp()
              RETURN collect({key: t.key, remainingMs: t.lockedUntil - timestamp()}) AS locks }
       RETURN timestamp() AS dbNow, revocations, revokeAlls, locks`,
      { since },
      { database: this.database, transactionConfig: { timeout: timeoutMs } },
    );
    const record = records[0];
    if (!record) throw new Error("security snapshot returned no row");
    return {
      dbNow: record.get("dbNow") as number,
      revocations: record.get("revocations") as SecuritySnapshot["revocations"],
      revokeAlls: record.get("revokeAlls") as SecuritySnapshot["revokeAlls"],
      locks: record.get("locks") as SecuritySnapshot["locks"],
    };
  }

  /** Deletes what can no longer matter: expired revocations, old revoke-alls and throttles. */
  async cleanup(maxTokenLifetimeMs: number, throttleWindowMs: number): Promise<number> {
    let removed = 0;
    const batches = [
      "MATCH (r:RevokedToken) WHERE r.expiresAt < timestamp() WITH r LIMIT 5000 DELETE r RETURN count(*) AS n",
      "MATCH (a:RevokeAll) WHERE a.before < timestamp() - $lifetime WITH a LIMIT 5000 DELETE a RETURN count(*) AS n",
      "MATCH (t:AuthThrottle) WHERE t.updatedAt < timestamp() - $window AND coalesce(t.lockedUntil, 0) < timestamp() WITH t LIMIT 5000 DELETE t RETURN count(*) AS n",
    ];
    for (const query of batches) {
      for (;;) {
        const { records } = await this.driver.executeQuery(
          query,
          { lifetime: maxTokenLifetimeMs, window: throttleWindowMs },
          { database: this.database },
        );
        const n = records[0]?.get("n") as number;
        removed += n;
        if (n < 5000) break;
      }
    }
    return removed;
  }

  async stats(): Promise<SecurityStats> {
    const { records } = await this.driver.executeQuery(
      `CALL { MATCH (r:RevokedToken) WHERE r.expiresAt > timestamp() RETURN count(r) AS activeRevocations }
       CALL { MATCH (a:RevokeAll) RETURN count(a) AS revokeAlls }
       CALL { MATCH (t:AuthThrottle) WHERE t.lockedUntil > timestamp() RETURN count(t) AS activeLockouts }
       RETURN activeRevocations, revokeAlls, activeLockouts`,
      {},
      { database: this.database },
    );
    const record = records[0];
    return {
      activeRevocations: record?.get("activeRevocations") as number,
      revokeAlls: record?.get("revokeAlls") as number,
      activeLockouts: record?.get("activeLockouts") as number,
    };
  }
}
