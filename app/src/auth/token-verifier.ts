// Bearer token verification with jose: asymmetric algorithms only, keys by kid from a JWKS,
// issuer and audience (the resource URI, RFC 8707) required, a bounded token lifetime.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import type { AuthOptions } from "./options.js";
import { AuthenticationError } from "./errors.js";

export const MAX_TOKEN_BYTES = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface VerifiedToken {
  readonly sub: string;
  readonly jti: string | undefined;
  /** Issued-at and expiry, in seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
  /** SHA-256 of the compact token: what the revocation store keeps instead of the token. */
  readonly tokenHash: string;
  readonly claims: JWTPayload;
}

export interface TokenVerifier {
  /** Verifies signature and claims; rejects with an AuthenticationError naming the failure. */
  (token: string): Promise<VerifiedToken>;
  /** The result of an earlier verification of this exact token, while it may still be reused. */
  cached(token: string): VerifiedToken | undefined;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

async function keyResolver(jwks: AuthOptions["jwks"]): Promise<JWTVerifyGetKey> {
  if ("url" in jwks) {
    // Cached; refetched when a token names an unknown kid, at most once per cooldown.
    return createRemoteJWKSet(jwks.url, {
      cooldownDuration: jwks.cooldownMs,
      cacheMaxAge: 600_000,
      timeoutDuration: 5_000,
    });
  }
  return createLocalJWKSet(JSON.parse(await readFile(jwks.file, "utf8")));
}

// A verified token is remembered for a short while, so a client that sends the same token on
// every request pays for one signature check, not one per request. The cache is keyed by the
// token itself (a lookup costs no hashing), bounded in entries and in characters, and holds only
// tokens that verified. Expiry is re-checked on every hit; revocation is checked by the caller
// on every request regardless.
const VERIFIED_CACHE_ENTRIES = 10_000;
const VERIFIED_CACHE_CHARS = 8 * 1024 * 1024;
const VERIFIED_CACHE_MS = 60_000;

class VerifiedTokenCache {
  private readonly entries = new Map<string, { token: VerifiedToken; until: number }>();
  private chars = 0;

  get(token: string, now: number): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry.token;
    this.delete(token);
    return undefined;
  }

  set(token: string, verified: VerifiedToken, until: number): void {
    this.delete(token);
    this.entries.set(token, { token: verified, until });
    this.chars += token.length;
    // Oldest first: a Map iterates in insertion order.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= VERIFIED_CACHE_ENTRIES && this.chars <= VERIFIED_CACHE_CHARS) break;
      this.delete(oldest);
    }
  }

  private delete(token: string): void {
    if (this.entries.delete(token)) this.chars -= token.length;
  }
}

export async function createTokenVerifier(auth: AuthOptions, audience: string): Promise<TokenVerifier> {
  const getKey = await keyResolver(auth.jwks);
  const cache = new VerifiedTokenCache();
  const verifyUncached = async (token: string, tokenHash: string): Promise<VerifiedToken> => {
    if (!COMPACT_JWS.test(token)) throw new AuthenticationError("invalid_token", "token is not a compact JWS");
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AuthenticationError("invalid_token", "token header cannot be decoded");
    }
    if (typeof header.kid !== "string" || header.kid.length === 0) {
      throw new AuthenticationError("invalid_token", "token header has no kid");
    }
    if (typeof header.alg !== "string" || !auth.algorithms.includes(header.alg)) {
      throw new AuthenticationError("invalid_token", "token algorithm is not allowed");
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [...auth.algorithms],
        issuer: auth.issuer,
        audience,
        clockTolerance: auth.clockSkewSeconds,
        maxTokenAge: auth.maxTokenLifetimeSeconds,
        requiredClaims: ["exp", "iat", "sub"],
      }));
    } catch (error) {
      throw translateJoseError(error);
    }
    const { sub, iat, exp, jti } = payload as Required<Pick<JWTPayload, "sub" | "iat" | "exp">> & JWTPayload;
    if (!isUsableSub(sub)) throw new AuthenticationError("invalid_token", "token sub is empty or too long");
    if (exp - iat > auth.maxTokenLifetimeSeconds) {
      throw new AuthenticationError(
        "lifetime_too_long",
        `token lifetime exceeds ${auth.maxTokenLifetimeSeconds} s`,
        sub,
      );
    }
    if (jti !== undefined && (typeof jti !== "string" || jti.length > 256)) {
      throw new AuthenticationError("invalid_token", "token jti is not a short string", sub);
    }
    return { sub, jti, iat, exp, tokenHash, claims: payload };
  };
  const verifyToken = async (token: string): Promise<VerifiedToken> => {
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
      throw new AuthenticationError("token_too_large", `token exceeds ${MAX_TOKEN_BYTES} bytes`);
    }
    const now = Date.now();
    const hit = cache.get(token, now);
    if (hit) return hit;
    const result = await verifyUncached(token, hashToken(token));
    cache.set(token, result, Math.min(now + VERIFIED_CACHE_MS, (result.exp + auth.clockSkewSeconds) * 1000));
    return result;
  };
  return Object.assign(verifyToken, { cached: (token: string) => cache.get(token, Date.now()) });
}

function isUsableSub(sub: unknown): sub is string {
  return typeof sub === "string" && sub.length > 0 && sub.length <= 256;
}

function translateJoseError(error: unknown): AuthenticationError {
  // jose checks the claims only after the signature verified: a claim failure carries a payload
  // the issuer really signed, so its sub names a real user.
  if (error instanceof joseErrors.JWTExpired || error instanceof joseErrors.JWTClaimValidationFailed) {
    const sub = isUsableSub(error.payload.sub) ? error.payload.sub : undefined;
    if (error instanceof joseErrors.JWTExpired) return new AuthenticationError("expired", "token has expired", sub);
    if (error.claim === "nbf") return new AuthenticationError("not_yet_valid", "token is not valid yet", sub);
    return new AuthenticationError("invalid_token", `token claim check failed: ${error.claim}`, sub);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new AuthenticationError("unknown_key", "token key id is not trusted");
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return new AuthenticationError("invalid_token", "token signature is invalid");
  return new AuthenticationError("invalid_token", "token is invalid");
}
