// A token's role: the highest role its OAuth scopes and, where configured, a roles claim or a
// group claim grant. The ladder itself is access/roles.ts.
import { RANK, isRole, roleOfScope, type Role } from "../access/roles.js";

/** Where a token's role is read from (config: AUTH_SCOPE_CLAIM, AUTH_ROLES_CLAIM, AUTH_GROUPS_*). */
export interface RoleSources {
  /** The OAuth scope claim (RFC 9068: a space-separated string); its mcp:* scopes are roles. */
  readonly scopeClaim: string;
  /** A claim that names roles directly (guest ... admin); off unless configured. */
  readonly rolesClaim: string | undefined;
  /** A claim of group names, and the role each group is given; off unless configured. */
  readonly groups: { readonly claim: string; readonly roles: Readonly<Record<string, Role>> } | undefined;
}

/** The names a claim holds: an array of strings, or one space-separated string. */
function claimValues(claim: unknown): string[] {
  if (typeof claim === "string") return claim.split(" ").filter(Boolean);
  if (Array.isArray(claim)) return claim.filter((value): value is string => typeof value === "string");
  return [];
}

function highest(roles: Iterable<Role | undefined>): Role | undefined {
  let best: Role | undefined;
  for (const role of roles) {
    if (role !== undefined && (best === undefined || RANK[role] > RANK[best])) best = role;
  }
  return best;
}

/** The highest known role named by a roles claim; unknown names are ignored. No default role. */
function effectiveRole(claim: unknown): Role | undefined {
  return highest(claimValues(claim).map((name) => (isRole(name) ? name : undefined)));
}

/**
 * The function that gives a token's claims their role: the highest role any configured source
 * grants. Unknown scopes, roles and groups grant nothing, and no source yields undefined.
 */
export function roleResolver(sources: RoleSources): (claims: Record<string, unknown>) => Role | undefined {
  const { scopeClaim, rolesClaim, groups } = sources;
  return (claims) => {
    const fromScopes = highest(claimValues(claims[scopeClaim]).map(roleOfScope));
    const fromRoles = rolesClaim === undefined ? undefined : effectiveRole(claims[rolesClaim]);
    const fromGroups =
      groups === undefined
        ? undefined
        : highest(
            claimValues(claims[groups.claim]).map((group) =>
              Object.hasOwn(groups.roles, group) ? groups.roles[group] : undefined,
            ),
          );
    return highest([fromScopes, fromRoles, fromGroups]);
  };
}
