// The authentication pipeline every protected request passes, in this order:
// token in query? -> bearer header -> signature and claims -> revocation -> role; a refusal
// then meets the lockout of whoever it is counted against (throttleKeyOf).
// Every failure denies; there is no default role and no allow on error.
import type { SecurityStore } from "../store/security-store.js";
import type { Auditor } from "../telemetry/audit.js";
import { assertNoTokenInQuery, bearerToken } from "./bearer.js";
import { AuthenticationError, AuthorizationError, LockedOutError, SecurityStoreUnavailableError } from "./errors.js";
import type { Role } from "../access/roles.js";
import type { AuthOptions, LockoutOptions } from "./options.js";
import { roleResolver } from "./role-claims.js";
import type { SecurityState } from "./security-state.js";
import type { TokenVerifier, VerifiedToken } from "./token-verifier.js";

export interface Principal {
  readonly sub: string;
  readonly role: Role;
  /** The tenant whose data the caller's tools see: the tenant claim, or the default tenant. */
  readonly tenant: string;
  readonly token: VerifiedToken;
}

export interface AuthRequest {
  url: string;
  authorization: string | undefined;
  ip: string;
}

export interface AuthenticatorDeps {
  config: { readonly auth: AuthOptions; readonly lockout: LockoutOptions };
  verify: TokenVerifier;
  state: SecurityState;
  store: SecurityStore;
  auditor: Auditor;
}

const TENANT = /^[A-Za-z0-9._-]{1,128}$/;

function tenantOf(claim: unknown, fallback: string): string {
  if (claim === undefined) return fallback;
  if (typeof claim !== "string" || !TENANT.test(claim))
    throw new AuthenticationError("invalid_token", "token tenant claim is malformed");
  return claim;
}

/** Failures that say nothing about an attacker (a client discovering that auth is needed). */
const UNCOUNTED = new Set(["missing_token"]);

/**
 * Who a refused token's failure is counted against. A token whose signature verified belongs to
 * the user it names (its own expired, revoked or misdirected tokens keep coming); any other
 * failure says nothing about a user, only where it came from, so it counts against the source
 * address. A name typed into a forged token therefore never reaches a user's count.
 */
function throttleKeyOf(error: AuthenticationError, sourceKey: string): string {
  return error.verifiedSub === undefined ? sourceKey : `sub:${error.verifiedSub}`;
}

export function createAuthenticator(deps: AuthenticatorDeps): (request: AuthRequest) => Promise<Principal> {
  const { config, verify, state, store, auditor } = deps;
  const roleOf = roleResolver(config.auth.roles);
  // Verified tokens whose acceptance is already in the audit trail; an entry goes with its token.
  const audited = new WeakSet<VerifiedToken>();

  async function countFailure(key: string, principal: string, reason: string): Promise<void> {
    let remainingMs: number;
    try {
      remainingMs = await store.recordFailure(key, config.lockout);
    } catch (error) {
      throw new SecurityStoreUnavailableError(
        `failed authentication could not be counted: ${(error as Error).message}`,
      );
    }
    if (remainingMs > 0) {
      state.noteLock(key, remainingMs);
      auditor.record({
        kind: "lockout",
        decision: "deny",
        principal,
        reason: "too_many_failures",
        detail: `locked for ${Math.ceil(remainingMs / 1000)} s; last failure: ${reason}`,
      });
    }
  }

  /**
   * A refused token from a locked source or of a locked user is answered 429 without its
   * reason (a prober learns nothing more), counted but not written again: a burst costs the
   * store one write per failure until the lock, then none.
   */
  async function refuse(error: AuthenticationError, sourceKey: string): Promise<never> {
    const key = throttleKeyOf(error, sourceKey);
    const principal = error.verifiedSub ?? sourceKey;
    const counted = !UNCOUNTED.has(error.reason);
    const lockedMs = counted ? state.lockRemainingMs(key) : 0;
    if (lockedMs > 0) {
      auditor.count({ kind: "authentication", decision: "deny", principal, reason: "locked_out" });
      throw new LockedOutError(Math.ceil(lockedMs / 1000));
    }
    auditor.record({ kind: "authentication", decision: "deny", principal, reason: error.reason });
    if (counted) await countFailure(key, principal, error.reason);
    throw error;
  }

  return async (request) => {
    const sourceKey = `ip:${request.ip}`;
    let principalName = sourceKey;
    try {
      assertNoTokenInQuery(request.url);
      const token = bearerToken(request.authorization);
      // A token whose signature verifies is judged on its own: no lock caused by other
      // requests (from its address or naming its user) refuses it.
      const verified = verify.cached(token) ?? (await verify(token));
      principalName = verified.sub;
      if (state.isRevoked(verified)) throw new AuthenticationError("revoked", "token has been revoked", verified.sub);
      const role = roleOf(verified.claims);
      if (role === undefined) throw new AuthorizationError("no_valid_role", "token carries no valid role");
      const tenant = tenantOf(verified.claims[config.auth.tenantClaim], config.auth.defaultTenant);
      // A client sends its token on every request: the acceptance of one verified token is
      // audited once (again when the verifier checks it afresh), each later use only counted.
      // Every tool call it makes is audited on its own.
      const allow = { kind: "authentication", decision: "allow", principal: verified.sub, role } as const;
      if (audited.has(verified)) auditor.count(allow);
      else {
        audited.add(verified);
        auditor.record(allow);
      }
      return { sub: verified.sub, role, tenant, token: verified };
    } catch (error) {
      if (error instanceof AuthenticationError) return refuse(error, sourceKey);
      if (error instanceof AuthorizationError) {
        auditor.record({ kind: "authorization", decision: "deny", principal: principalName, reason: error.reason });
      }
      throw error;
    }
  };
}
