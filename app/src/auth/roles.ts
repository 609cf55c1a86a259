// Roles and their order. A higher role holds every permission of the lower ones. A token's role
// comes from its OAuth scopes and, where configured, from a group or roles claim.

export const ROLES = ["guest", "readonly", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

const rank: Record<Role, number> = { guest: 0, readonly: 1, operator: 2, admin: 3 };

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && Object.hasOwn(rank, value);
}

/** True when `held` is at least `required`. */
export function roleSatisfies(held: Role, required: Role): boolean {
  return rank[held] >= rank[required];
}

const SCOPE_PREFIX = "mcp:";

/** The OAuth scope that stands for a role in WWW-Authenticate and resource metadata. */
export function scopeOf(role: Role): string {
  return `${SCOPE_PREFIX}${role}`;
}

/** The role a scope stands for; any other scope grants nothing. */
export function roleOfScope(scope: string): Role | undefined {
  if (!scope.startsWith(SCOPE_PREFIX)) return undefined;
  const name = scope.slice(SCOPE_PREFIX.length);
  return isRole(name) ? name : undefined;
}

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
    if (role !== undefined && (best === undefined || rank[role] > rank[best])) best = role;
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
    const fromGroups = groups === undefined
      ? undefined
      : highest(claimValues(claims[groups.claim]).map((group) => (Object.hasOwn(groups.roles, group) ? groups.roles[group] : undefined)));
    return highest([fromScopes, fromRoles, fromGroups]);
  };
}
