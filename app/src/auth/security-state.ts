// A replica's view of the shared security state (revocations, revoke-alls, lockouts), pulled
// from Neo4j every `intervalMs` so that the per-request check is a memory lookup.
//
// Propagation bound: a revocation written by any replica is seen by every other one within
// intervalMs plus one snapshot query; on the replica that wrote it, at once. Fail closed: when
// the last successful pull is older than maxStalenessMs, every check throws, and callers
// answer 503 until the store is reachable again.
import type { SecurityStore } from "../store/security-store.js";
import { SecurityStoreUnavailableError } from "./errors.js";
import type { VerifiedToken } from "./token-verifier.js";

// Revocations are re-read this far back, so a write that committed late (its timestamp() is
// taken at statement time) is still picked up by the next pull.
const OVERLAP_MS = 5_000;

export interface SecurityStateOptions {
  intervalMs: number;
  maxStalenessMs: number;
  onError?: (error: unknown) => void;
}

export function jtiRevocationId(jti: string, sub: string | undefined): string {
  return `jti:${sub === undefined ? "*" : `sub:${sub}`}:${jti}`;
}

export class SecurityState {
  /** Revocation id -> expiry (local clock, ms). */
  private readonly revoked = new Map<string, number>();
  /** sub -> tokens issued at or before this moment (ms) are revoked. */
  private readonly revokedBefore = new Map<string, number>();
  /** throttle key -> locked until (local clock, ms). */
  private readonly locks = new Map<string, number>();
  private lastSuccess = 0;
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  syncFailures = 0;

  constructor(
    private readonly store: SecurityStore,
    private readonly options: SecurityStateOptions,
  ) {}

  /**
   * Starts the pull loop. The first pulls of a cold database can take longer than the whole
   * staleness budget, so start-up repeats them (a few times at most) until one is quick.
   */
  async start(): Promise<void> {
    this.stopped = false;
    for (let attempt = 0; attempt < 10; attempt++) {
      const started = Date.now();
      await this.pull();
      // A failed pull ends the warm-up too: an unreachable store must not delay start-up.
      if (this.lastSuccess !== started || Date.now() - started < this.options.intervalMs) break;
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get stalenessMs(): number {
    return this.lastSuccess === 0 ? Infinity : Date.now() - this.lastSuccess;
  }

  get isFresh(): boolean {
    return this.stalenessMs <= this.options.maxStalenessMs;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pull().finally(() => this.schedule()), this.options.intervalMs);
    this.timer.unref();
  }

  /** One pull from the store; exposed so tests and start-up can force a refresh. */
  async pull(): Promise<void> {
    const startedAt = Date.now();
    try {
      const snapshot = await this.store.snapshot(this.since, this.options.maxStalenessMs);
      const localNow = Date.now();
      for (const { id, expiresAt } of snapshot.revocations)
        this.revoked.set(id, localNow + (expiresAt - snapshot.dbNow));
      for (const { sub, before } of snapshot.revokeAlls) {
        this.revokedBefore.set(sub, Math.max(this.revokedBefore.get(sub) ?? 0, before));
      }
      for (const { key, remainingMs } of snapshot.locks)
        this.locks.set(key, Math.max(this.locks.get(key) ?? 0, localNow + remainingMs));
      for (const [id, expiresAt] of this.revoked) if (expiresAt < localNow) this.revoked.delete(id);
      for (const [key, until] of this.locks) if (until < localNow) this.locks.delete(key);
      this.since = snapshot.dbNow - OVERLAP_MS;
      this.lastSuccess = startedAt;
    } catch (error) {
      this.syncFailures += 1;
      this.options.onError?.(error);
    }
  }

  private assertFresh(): void {
    if (!this.isFresh) throw new SecurityStoreUnavailableError("the revocation and lockout store is unreachable");
  }

  /** Milliseconds until `key` is unlocked; 0 when it is not locked. Throws when stale. */
  lockRemainingMs(key: string): number {
    this.assertFresh();
    const until = this.locks.get(key);
    return until === undefined ? 0 : Math.max(0, until - Date.now());
  }

  /** True when the token was revoked by hash, by jti, or by a revoke-all of its sub. Throws when stale. */
  isRevoked(token: VerifiedToken): boolean {
    this.assertFresh();
    if (this.revoked.has(token.tokenHash)) return true;
    if (
      token.jti !== undefined &&
      (this.revoked.has(jtiRevocationId(token.jti, token.sub)) ||
        this.revoked.has(jtiRevocationId(token.jti, undefined)))
    ) {
      return true;
    }
    const before = this.revokedBefore.get(token.sub);
    return before !== undefined && token.iat * 1000 <= before;
  }

  /** Applies a revocation this replica just wrote, without waiting for the next pull. */
  noteRevoked(id: string, expiresAt: number): void {
    this.revoked.set(id, expiresAt);
  }

  noteRevokeAll(sub: string, before: number): void {
    this.revokedBefore.set(sub, Math.max(this.revokedBefore.get(sub) ?? 0, before));
  }

  noteLock(key: string, remainingMs: number): void {
    if (remainingMs > 0) this.locks.set(key, Date.now() + remainingMs);
  }

  get counts(): { revocations: number; revokeAlls: number; locks: number } {
    return { revocations: this.revoked.size, revokeAlls: this.revokedBefore.size, locks: this.locks.size };
  }
}
