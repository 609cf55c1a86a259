// Signing a token with a given private JWK: used by the local token command and by the tests.
import { randomUUID } from "node:crypto";
import { importJWK, SignJWT, type JWK } from "jose";

export interface MintOptions {
  sub: string;
  roles: readonly string[];
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Name the roles in this claim instead of as mcp:* scopes in the OAuth scope claim. */
  rolesClaim?: string;
  jti?: string;
  extraClaims?: Record<string, unknown>;
}

export async function mintToken(
  privateJwk: JWK & { kid: string; alg?: string },
  options: MintOptions,
): Promise<string> {
  const alg = privateJwk.alg ?? "ES256";
  const key = await importJWK(privateJwk, alg);
  const now = Math.floor(Date.now() / 1000);
  const grant =
    options.rolesClaim === undefined
      ? { scope: options.roles.map((role) => `mcp:${role}`).join(" ") }
      : { [options.rolesClaim]: [...options.roles] };
  return new SignJWT({ ...grant, ...options.extraClaims })
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: "at+jwt" })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .setJti(options.jti ?? randomUUID())
    .sign(key);
}
