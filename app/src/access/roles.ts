// The role ladder: the roles, their order (a higher role holds every permission of the lower
// ones) and the OAuth scopes that stand for them. Pure data and comparisons, imported by auth/
// (which reads a token's role), mcp/ (which enforces it), guards/ and config; it imports nothing.

export const ROLES = ["guest", "readonly", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const RANK: Readonly<Record<Role, number>> = { guest: 0, readonly: 1, operator: 2, admin: 3 };

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** True when `held` is at least `required`. */
export function roleSatisfies(held: Role, required: Role): boolean {
  return RANK[held] >= RANK[required];
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
