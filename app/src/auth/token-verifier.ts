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
import type { Config } from "../config.js";
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

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

async function keyResolver(jwks: Config["auth"]["jwks"]): Promise<JWTVerifyGetKey> {
  if ("url" in jwks) {
    // Cached; refetched when a token names an unknown kid, at most once per cooldown.
    return createRemoteJWKSet(jwks.url, { cooldownDuration: jwks.cooldownMs, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
  }
  return createLocalJWKSet(JSON.parse(await readFile(jwks.file, "utf8")));
}

// A verified token is remembered (by its hash) for a short while, so a client that sends the
// same token on every request pays for one signature check, not one per request. Expiry is
// re-checked on every hit; revocation is checked by the caller on every request regardless.
const VERIFIED_CACHE_ENTRIES = 10_000;
const VERIFIED_CACHE_MS = 60_000;

export async function createTokenVerifier(auth: Config["auth"], audience: string): Promise<TokenVerifier> {
  const getKey = await keyResolver(auth.jwks);
  const verified = new Map<string, { token: VerifiedToken; until: number }>();
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
        algorithms: auth.algorithms,
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
    if (exp - iat > auth.maxTokenLifetimeSeconds) {
      throw new AuthenticationError("lifetime_too_long", `token lifetime exceeds ${auth.maxTokenLifetimeSeconds} s`);
    }
    if (sub.length === 0 || sub.length > 256) throw new AuthenticationError("invalid_token", "token sub is empty or too long");
    if (jti !== undefined && (typeof jti !== "string" || jti.length > 256)) {
      throw new AuthenticationError("invalid_token", "token jti is not a short string");
    }
    return { sub, jti, iat, exp, tokenHash, claims: payload };
  };
  return async (token) => {
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
      throw new AuthenticationError("token_too_large", `token exceeds ${MAX_TOKEN_BYTES} bytes`);
    }
    const hash = hashToken(token);
    const cached = verified.get(hash);
    const now = Date.now();
    if (cached && now < cached.until) return cached.token;
    if (cached) verified.delete(hash);
    const result = await verifyUncached(token, hash);
    if (verified.size >= VERIFIED_CACHE_ENTRIES) verified.delete(verified.keys().next().value as string);
    verified.set(hash, { token: result, until: Math.min(now + VERIFIED_CACHE_MS, (result.exp + auth.clockSkewSeconds) * 1000) });
    return result;
  };
}

function translateJoseError(error: unknown): AuthenticationError {
  if (error instanceof joseErrors.JWTExpired) return new AuthenticationError("expired", "token has expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return new AuthenticationError("not_yet_valid", "token is not valid yet");
    return new AuthenticationError("invalid_token", `token claim check failed: ${error.claim}`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return new AuthenticationError("unknown_key", "token key id is not trusted");
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthenticationError("invalid_token", "token signature is invalid");
  return new AuthenticationError("invalid_token", "token is invalid");
}
