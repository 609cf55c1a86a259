// The verified-token cache: a token is verified once and reused only while it may be; a failed
// verification is never remembered, and a cached token stops being accepted at its expiry.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { mintToken } from "../src/auth/mint.js";
import { createTokenVerifier, hashToken, type TokenVerifier } from "../src/auth/token-verifier.js";
import type { Config } from "../src/config.js";

const ISSUER = "https://issuer.cache.test";
const AUDIENCE = "https://mcp.cache.test/mcp";

let dir: string;
let signingKey: JWK & { kid: string; alg: string };
let verify: TokenVerifier;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "verifier-cache-"));
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  signingKey = { ...(await exportJWK(privateKey)), kid: "cache", alg: "ES256" };
  const jwksFile = path.join(dir, "jwks.json");
  await writeFile(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "cache", alg: "ES256" }] }),
  );
  const auth: Config["auth"] = {
    issuer: ISSUER,
    jwks: { file: jwksFile },
    authorizationServers: [ISSUER],
    algorithms: ["ES256"],
    clockSkewSeconds: 0,
    maxTokenLifetimeSeconds: 3600,
    roles: { scopeClaim: "scope", rolesClaim: undefined, groups: undefined },
    tenantClaim: "tenant",
    defaultTenant: "default",
  };
  verify = await createTokenVerifier(auth, AUDIENCE);
});
after(() => rm(dir, { recursive: true, force: true }));

const mint = (sub: string, ttlSeconds = 600) =>
  mintToken(signingKey, { sub, roles: ["guest"], issuer: ISSUER, audience: AUDIENCE, ttlSeconds });

describe("verified-token cache", () => {
  test("a verified token is cached with its hash; an unverified one is not", async () => {
    const token = await mint("alice");
    assert.equal(verify.cached(token), undefined, "nothing is cached before verification");
    const first = await verify(token);
    assert.equal(first.tokenHash, hashToken(token));
    assert.equal(verify.cached(token), first);
    assert.equal(await verify(token), first, "the second verification is the cached result");
    assert.equal(verify.cached(await mint("alice")), undefined, "another token of the same sub is not");
  });

  test("a token that fails verification is never cached, even after a valid look-alike", async () => {
    const token = await mint("bob");
    await verify(token);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const forged = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    await assert.rejects(verify(forged), { reason: "invalid_token" });
    assert.equal(verify.cached(forged), undefined);
    await assert.rejects(verify(forged), { reason: "invalid_token" }, "refused again, not served from a cache");
  });

  test("a cached token is refused once it expires", async () => {
    const token = await mint("carol", 2);
    await verify(token);
    assert.ok(verify.cached(token));
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal(verify.cached(token), undefined);
    await assert.rejects(verify(token), { reason: "expired" });
  });
});
