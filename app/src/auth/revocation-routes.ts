// POST /auth/revoke and /auth/revoke-all. Anyone may revoke their own tokens; admin anyone's.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import type { SecurityStore } from "../store/security-store.js";
import type { Auditor } from "../telemetry/audit.js";
import { describeIssues } from "../validation.js";
import type { Principal } from "./authenticator.js";
import { AuthorizationError } from "./errors.js";
import { jtiRevocationId, type SecurityState } from "./security-state.js";
import { MAX_TOKEN_BYTES, type TokenVerifier } from "./token-verifier.js";
import type { AuthOptions } from "./options.js";

const reason = z.string().trim().min(1).max(200).optional();
const revokeBody = z.union([
  z.object({ token: z.string().min(1).max(MAX_TOKEN_BYTES), reason }).strict(),
  z.object({ jti: z.string().min(1).max(256), sub: z.string().min(1).max(256).optional(), reason }).strict(),
]);
const revokeAllBody = z.object({ sub: z.string().min(1).max(256), reason }).strict();

export class BadRequestError extends Error {
  override readonly name = "BadRequestError";
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new BadRequestError(`invalid request body: ${describeIssues(parsed.error, "body").join("; ")}`);
  }
  return parsed.data;
}

export interface RevocationDeps {
  config: { readonly auth: Pick<AuthOptions, "maxTokenLifetimeSeconds" | "clockSkewSeconds"> };
  verify: TokenVerifier;
  store: SecurityStore;
  state: SecurityState;
  auditor: Auditor;
  principalOf: (request: FastifyRequest) => Principal;
}

export function registerRevocationRoutes(app: FastifyInstance, deps: RevocationDeps): void {
  const { config, verify, store, state, auditor } = deps;

  function assertMayActFor(principal: Principal, sub: string): void {
    if (principal.role !== "admin" && principal.sub !== sub) {
      auditor.record({
        kind: "revocation",
        decision: "deny",
        principal: principal.sub,
        role: principal.role,
        reason: "not_owner",
      });
      throw new AuthorizationError("not_owner", "only an admin may revoke another user's tokens", "mcp:admin");
    }
  }

  app.post("/auth/revoke", async (request) => {
    const principal = deps.principalOf(request);
    const body = parse(revokeBody, request.body);
    const why = body.reason ?? "revoked by request";
    if ("token" in body) {
      let target;
      try {
        target = await verify(body.token);
      } catch {
        throw new BadRequestError("the token to revoke is not a valid token for this server");
      }
      assertMayActFor(principal, target.sub);
      const expiresAt = target.exp * 1000;
      await store.revoke({
        id: target.tokenHash,
        tokenHash: target.tokenHash,
        jti: target.jti,
        sub: target.sub,
        reason: why,
        revokedBy: principal.sub,
        expiresAt,
      });
      state.noteRevoked(target.tokenHash, expiresAt);
      auditor.record({
        kind: "revocation",
        decision: "allow",
        principal: principal.sub,
        role: principal.role,
        detail: `token of ${target.sub}`,
      });
      return { revoked: "token", sub: target.sub, expiresAt: new Date(expiresAt).toISOString() };
    }
    // A jti alone names no owner: a non-admin's revocation is scoped to their own sub.
    const sub = principal.role === "admin" ? body.sub : (body.sub ?? principal.sub);
    if (sub !== undefined) assertMayActFor(principal, sub);
    const id = jtiRevocationId(body.jti, sub);
    const expiresAt = Date.now() + (config.auth.maxTokenLifetimeSeconds + config.auth.clockSkewSeconds) * 1000;
    await store.revoke({ id, jti: body.jti, sub, reason: why, revokedBy: principal.sub, expiresAt });
    state.noteRevoked(id, expiresAt);
    auditor.record({
      kind: "revocation",
      decision: "allow",
      principal: principal.sub,
      role: principal.role,
      detail: `jti for ${sub ?? "any subject"}`,
    });
    return { revoked: "jti", sub: sub ?? null, expiresAt: new Date(expiresAt).toISOString() };
  });

  app.post("/auth/revoke-all", async (request) => {
    const principal = deps.principalOf(request);
    const body = parse(revokeAllBody, request.body);
    assertMayActFor(principal, body.sub);
    const before = await store.revokeAll(body.sub, principal.sub, body.reason ?? "revoke-all by request");
    state.noteRevokeAll(body.sub, before);
    auditor.record({
      kind: "revocation",
      decision: "allow",
      principal: principal.sub,
      role: principal.role,
      detail: `all tokens of ${body.sub}`,
    });
    return { revoked: "all", sub: body.sub, issuedBefore: new Date(before).toISOString() };
  });
}
