// Rate-limit buckets shared by every replica, in a Redis-protocol store (Valkey, ElastiCache,
// redis-server). One Lua script takes a token atomically on the store's own clock, so replicas
// with skewed clocks still agree, and N replicas together allow the limit, not N times it. The
// semantics are the in-memory store's: a bucket of `burst` tokens refilled at perMinute/60 s.
// The store down means denial (503), never an unlimited pass.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import type { RateDecision, RateLimit, RateLimitStore } from "./rate-limit.js";

const TAKE_TOKEN = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local burst = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
tokens = math.min(burst, tokens + math.max(0, now - updated) * perMs)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / perMs) + 1000)
return {allowed, retry}
`;

/** The store could not answer: the request is denied with 503 rather than let through unlimited. */
export class RateLimitStoreUnavailableError extends Error {
  override readonly name = "RateLimitStoreUnavailableError";
}

export interface RedisStoreSettings {
  /** redis:// or rediss:// host and port; no credentials in it. */
  url: string;
  password: string | undefined;
  /** PEM bundle the store's certificate chains to (rediss://); absent: the system's CAs. */
  caFile: string | undefined;
  /** How long one take may wait for the store before the request is denied. */
  timeoutMs?: number;
}

type TakeToken = (key: string, burst: string, perMs: string) => Promise<[number, number]>;

export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: Redis;

  constructor(settings: RedisStoreSettings) {
    const url = new URL(settings.url);
    const tls = url.protocol === "rediss:";
    this.client = new Redis({
      host: url.hostname,
      port: url.port ? Number(url.port) : 6379,
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...(tls
        ? {
            tls: {
              servername: url.hostname,
              minVersion: "TLSv1.2" as const,
              ...(settings.caFile ? { ca: readFileSync(settings.caFile) } : {}),
            },
          }
        : {}),
      // The store's user may not run INFO (a dangerous command), which the ready check uses.
      enableReadyCheck: false,
      // Fail at once while disconnected instead of queueing requests behind an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: settings.timeoutMs ?? 1_000,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      lazyConnect: false,
    });
    // Connection errors surface as denials per request; the client reconnects by itself.
    this.client.on("error", () => undefined);
    this.client.defineCommand("mcpBastionTakeToken", { numberOfKeys: 1, lua: TAKE_TOKEN });
  }

  /** Resolves once the store answers (or rejects after `timeoutMs`), for a clear start-up message. */
  async ping(): Promise<void> {
    await this.client.ping();
  }

  async take(key: string, limit: RateLimit): Promise<RateDecision> {
    // Hashed: a bounded key of fixed size, whatever a token's sub holds.
    const storeKey = `mcp-bastion:rl:${createHash("sha256").update(key).digest("base64url")}`;
    const take = (this.client as unknown as { mcpBastionTakeToken: TakeToken }).mcpBastionTakeToken.bind(this.client);
    let result: [number, number];
    try {
      result = await take(storeKey, String(limit.burst), String(limit.perMinute / 60_000));
    } catch (error) {
      throw new RateLimitStoreUnavailableError(`the rate-limit store did not answer (${(error as Error).message})`, {
        cause: error,
      });
    }
    return { allowed: result[0] === 1, retryAfterMs: result[1] };
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
