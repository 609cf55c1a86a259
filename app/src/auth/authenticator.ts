// The authentication pipeline every protected request passes, in this order:
// token in query? -> bearer header -> lockout -> signature and claims -> revocation -> role.
// Every failure denies; there is no default role and no allow on error.
import type { Config } from "../config.js";
import type { SecurityStore } from "../store/security-store.js";
import type { Auditor } from "../telemetry/audit.js";
import { assertNoTokenInQuery, bearerToken, unverifiedSubject } from "./bearer.js";
import { AuthenticationError, AuthorizationError, LockedOutError, SecurityStoreUnavailableError } from "./errors.js";
import { effectiveRole, type Role } from "./roles.js";
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
  config: Config;
  verify: TokenVerifier;
  state: SecurityState;
  store: SecurityStore;
  auditor: Auditor;
  onFailure?: (reason: string) => void;
}

const TENANT = /^[A-Za-z0-9._-]{1,128}$/;

function tenantOf(claim: unknown, fallback: string): string {
  if (claim === undefined) return fallback;
  if (typeof claim !== "string" || !TENANT.test(claim)) throw new AuthenticationError("invalid_token", "token tenant claim is malformed");
  return claim;
}

/** Failures that say nothing about an attacker (a client discovering that auth is needed). */
const UNCOUNTED = new Set(["missing_token"]);

export function createAuthenticator(deps: AuthenticatorDeps): (request: AuthRequest) => Promise<Principal> {
  const { config, verify, state, store, auditor } = deps;
  // Verified tokens whose acceptance is already in the audit trail; an entry goes with its token.
  const audited = new WeakSet<VerifiedToken>();

  async function countFailure(key: string, principal: string, reason: string): Promise<void> {
    let remainingMs: number;
    try {
      remainingMs = await store.recordFailure(key, config.lockout);
    } catch (error) {
      throw new SecurityStoreUnavailableError(`failed authentication could not be counted: ${(error as Error).message}`);
    }
    if (remainingMs > 0) {
      state.noteLock(key, remainingMs);
      auditor.record({ kind: "lockout", decision: "deny", principal, reason: "too_many_failures", detail: `locked for ${Math.ceil(remainingMs / 1000)} s; last failure: ${reason}` });
    }
  }

  return async (request) => {
    const ipKey = `ip:${request.ip}`;
    let principalName = ipKey;
    let throttleKey = ipKey;
    try {
      assertNoTokenInQuery(request.url);
      const token = bearerToken(request.authorization);
      // A token verified moments ago names its sub without being decoded again.
      const known = verify.cached(token);
      const claimedSub = known?.sub ?? unverifiedSubject(token);
      if (claimedSub !== undefined) {
        throttleKey = `sub:${claimedSub}`;
        principalName = claimedSub;
      }
      const lockedMs = Math.max(state.lockRemainingMs(throttleKey), state.lockRemainingMs(ipKey));
      if (lockedMs > 0) throw new LockedOutError(Math.ceil(lockedMs / 1000));

      const verified = known ?? (await verify(token));
      principalName = verified.sub;
      if (state.isRevoked(verified)) throw new AuthenticationError("revoked", "token has been revoked");
      const role = effectiveRole(verified.claims[config.auth.rolesClaim]);
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
      if (error instanceof AuthenticationError) {
        deps.onFailure?.(error.reason);
        auditor.record({ kind: "authentication", decision: "deny", principal: principalName, reason: error.reason });
        if (!UNCOUNTED.has(error.reason)) await countFailure(throttleKey, principalName, error.reason);
      } else if (error instanceof AuthorizationError) {
        deps.onFailure?.(error.reason);
        auditor.record({ kind: "authorization", decision: "deny", principal: principalName, reason: error.reason });
      } else if (error instanceof LockedOutError) {
        deps.onFailure?.("locked_out");
        auditor.record({ kind: "authentication", decision: "deny", principal: principalName, reason: "locked_out" });
      }
      throw error;
    }
  };
}
