// Keys from a remote JWKS: cached, refetched when a token names an unknown kid (key rotation),
// and the refetching rate-limited so a flood of unknown kids cannot hammer the issuer.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, test } from "node:test";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { mintToken } from "../src/auth/mint.js";
import { callTool, startTestServer, TEST_ISSUER, uniqueSub, type TestServer } from "./support/harness.js";

let issuer: Server;
let served: JWK[] = [];
let fetches = 0;
let server: TestServer;

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256" },
  };
}

before(async () => {
  issuer = createServer((_request, response) => {
    fetches += 1;
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => issuer.listen(0, "127.0.0.1", resolve));
  const address = issuer.address() as { port: number };
  server = await startTestServer({
    AUTH_JWKS_FILE: undefined,
    AUTH_JWKS_URL: `http://127.0.0.1:${address.port}/jwks.json`,
    AUTH_JWKS_COOLDOWN_SECONDS: "2",
    LOCKOUT_MAX_FAILURES: "1000",
  });
});
after(async () => {
  await server.close();
  await new Promise((resolve) => issuer.close(resolve));
});

test("a rotated-in key is picked up on its first unknown kid, at most once per cooldown", async () => {
  const first = await keyPair("key-1");
  served = [first.publicJwk];
  const mint = (key: typeof first, sub = uniqueSub("remote")) =>
    mintToken(key.privateJwk, {
      sub,
      roles: ["guest"],
      issuer: TEST_ISSUER,
      audience: server.config.resourceUrl,
      ttlSeconds: 300,
    });

  assert.equal((await callTool(server, await mint(first), "whoami")).status, 200);
  assert.equal(fetches, 1);
  assert.equal((await callTool(server, await mint(first), "whoami")).status, 200);
  assert.equal(fetches, 1, "the key set is cached");

  // A flood of tokens naming unknown kids right after a fetch does not reach the issuer.
  const stranger = await keyPair("unknown-kid");
  for (let i = 0; i < 20; i++) assert.equal((await callTool(server, await mint(stranger), "whoami")).status, 401);
  assert.equal(fetches, 1, "refetching is rate limited");

  const second = await keyPair("key-2");
  served = [first.publicJwk, second.publicJwk];
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  assert.equal((await callTool(server, await mint(second), "whoami")).status, 200, "the new kid triggers one refetch");
  assert.equal(fetches, 2);

  // The stranger's key is still not trusted after the refetch.
  assert.equal((await callTool(server, await mint(stranger), "whoami")).status, 401);
});

test("a kid the issuer does not serve means 401, never an allow", async () => {
  served = [];
  const lost = await keyPair("key-lost");
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const token = await mintToken(lost.privateJwk, {
    sub: uniqueSub("down"),
    roles: ["admin"],
    issuer: TEST_ISSUER,
    audience: server.config.resourceUrl,
    ttlSeconds: 300,
  });
  assert.equal((await callTool(server, token, "whoami")).status, 401);
});
