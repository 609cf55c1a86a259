// Roles and their order. A higher role holds every permission of the lower ones.

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

/**
 * The highest known role named by a token's roles claim (an array of strings, or one
 * space-separated string); unknown names are ignored, and no known role yields undefined.
 * There is no default role.
 */
export function effectiveRole(claim: unknown): Role | undefined {
  const names = Array.isArray(claim) ? claim : typeof claim === "string" ? claim.split(" ") : [];
  let best: Role | undefined;
  for (const name of names) {
    if (isRole(name) && (best === undefined || rank[name] > rank[best])) best = name;
  }
  return best;
}

/** The OAuth scope that stands for a role in WWW-Authenticate and resource metadata. */
export function scopeOf(role: Role): string {
  return `mcp:${role}`;
}
