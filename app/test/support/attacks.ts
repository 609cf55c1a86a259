// What the attack tests share (token attacks, lockout): claims a real token of the target
// would carry, tokens signed by its trusted key or forged under its key id, and a whoami call
// sent from a chosen source address, through whichever tier serves the target.
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { mintToken } from "../../src/auth/mint.js";
import { MCP_HEADERS, toolCallBody, type TestTarget } from "./client.js";
import { TEST_ISSUER } from "./identity.js";

const now = () => Math.floor(Date.now() / 1000);

/** The claims of a valid admin token of `target` for `sub`. */
export function claimsFor(target: TestTarget, sub: string): Record<string, unknown> {
  return {
    iss: TEST_ISSUER,
    aud: target.config.resourceUrl,
    sub,
    roles: ["admin"],
    iat: now(),
    exp: now() + 300,
    jti: sub,
  };
}

/** Signs `claims` with the target's trusted ES256 key; `header` overrides (kid: undefined drops it). */
export async function signWithTrustedKey(
  target: TestTarget,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  const key = await importJWK(target.keys.es256.privateJwk, "ES256");
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: target.keys.es256.privateJwk.kid, ...header })
    .sign(key);
}

/** A token for `sub` that names the target's own key id but is signed by a key it never saw. */
export async function forgedToken(target: TestTarget, sub: string): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: target.keys.es256.privateJwk.kid, alg: "ES256" };
  return mintToken(jwk, {
    sub,
    roles: ["admin"],
    issuer: TEST_ISSUER,
    audience: target.config.resourceUrl,
    ttlSeconds: 300,
  });
}

/** A whoami call from `source` with this Authorization header (none when undefined). */
export function whoamiFrom(
  target: TestTarget,
  source: string,
  authorization: string | undefined,
  options: { headers?: Record<string, string>; query?: string } = {},
): Promise<Response> {
  return target.send({
    method: "POST",
    path: `/mcp${options.query ?? ""}`,
    from: source,
    headers: {
      ...MCP_HEADERS,
      ...options.headers,
      ...(authorization !== undefined ? { authorization } : {}),
    },
    body: toolCallBody("whoami"),
  });
}
