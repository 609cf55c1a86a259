// What authentication needs to know, owned here; config.ts maps the environment onto it.
import type { RoleSources } from "./role-claims.js";

export interface AuthOptions {
  readonly issuer: string;
  readonly jwks: { readonly url: URL; readonly cooldownMs: number } | { readonly file: string };
  readonly authorizationServers: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
  /** Where a token's role comes from. */
  readonly roles: RoleSources;
  readonly tenantClaim: string;
  readonly defaultTenant: string;
}

/** Failed authentications that lock a caller out, and for how long. */
export interface LockoutOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly durationMs: number;
}
