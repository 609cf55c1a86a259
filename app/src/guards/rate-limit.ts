// Token-bucket rate limits per user and tool, behind a store interface. The in-memory store
// counts per replica: N replicas allow up to N x the limit; rate-limit-redis.ts shares them.
import type { Role } from "../access/roles.js";

export interface RateLimit {
  /** Sustained rate. */
  readonly perMinute: number;
  /** Requests allowed at once before the sustained rate applies. */
  readonly burst: number;
}

export interface RateLimitPolicy {
  readonly defaults: RateLimit;
  /** Per role; a tool's own override wins over its caller's role. */
  readonly roles: Readonly<Partial<Record<Role, RateLimit>>>;
  readonly tools: Readonly<Record<string, RateLimit>>;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** When not allowed: how long until one request would be. */
  readonly retryAfterMs: number;
}

export interface RateLimitStore {
  /** A shared store keeps its own clock and may ignore `now`. */
  take(key: string, limit: RateLimit, now: number): RateDecision | Promise<RateDecision>;
}

/** The limit that applies to `role` calling `tool` (undefined: a request that is no tool call). */
export function limitFor(policy: RateLimitPolicy, role: Role, tool: string | undefined): RateLimit {
  return (tool !== undefined ? policy.tools[tool] : undefined) ?? policy.roles[role] ?? policy.defaults;
}

interface Bucket {
  tokens: number;
  updated: number;
  perMs: number;
  burst: number;
}

const SWEEP_EVERY = 10_000;

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Bucket>();
  private takes = 0;

  take(key: string, limit: RateLimit, now: number): RateDecision {
    const perMs = limit.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, updated: now, perMs, burst: limit.burst };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + Math.max(0, now - bucket.updated) * perMs);
    Object.assign(bucket, { updated: now, perMs, burst: limit.burst });
    this.buckets.set(key, bucket);
    if (++this.takes % SWEEP_EVERY === 0) this.sweep(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) };
  }

  /** Forgets buckets that have refilled completely: they hold nothing a new bucket would not. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updated) * bucket.perMs >= bucket.burst) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** 429 with Retry-After: the caller must slow down. */
export class TooManyRequestsError extends Error {
  constructor(
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}

/** Too many requests for this user (and tool) in the window. */
export class RateLimitedError extends TooManyRequestsError {
  override readonly name = "RateLimitedError";
  constructor(
    retryAfterSeconds: number,
    readonly tool: string | undefined,
  ) {
    super(retryAfterSeconds, tool === undefined ? "rate limit exceeded" : `rate limit exceeded for tool ${tool}`);
  }
}

/** Too many of this user's requests are in flight at once. */
export class ConcurrencyLimitError extends TooManyRequestsError {
  override readonly name = "ConcurrencyLimitError";
  constructor(max: number) {
    super(1, `at most ${max} requests of one user may run at once`);
  }
}

/** Counts each user's requests in flight; a request over the limit is refused, not queued. */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a slot for `key`; the returned function gives it back (once, however often called). */
  acquire(key: string): () => void {
    const current = this.inFlight.get(key) ?? 0;
    if (current >= this.max) throw new ConcurrencyLimitError(this.max);
    this.inFlight.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }
}

export class RateLimiter {
  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly store: RateLimitStore = new MemoryRateLimitStore(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request from the caller's bucket for `tool` (undefined: not a tool call). */
  async check(sub: string, role: Role, tool: string | undefined): Promise<void> {
    const decision = await this.store.take(`${sub}\u0000${tool ?? "*"}`, limitFor(this.policy, role, tool), this.now());
    if (!decision.allowed) throw new RateLimitedError(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), tool);
  }
}
