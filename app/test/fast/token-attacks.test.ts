// A table of token attacks: each is refused with 401 and a Bearer challenge, and no tool runs.
// The verification is the production one (jose, real keys); the stores are in memory.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { base64url, SignJWT } from "jose";
import { resourceMetadataUrl } from "../../src/auth/resource-metadata.js";
import { claimsFor, signWithTrustedKey, whoamiFrom } from "../support/attacks.js";
import { callTool, privateLoopbackAddress, uniqueSub } from "../support/client.js";
import { startFastServer, type FastServer } from "../support/fast-server.js";

// Failures here are counted against this address, not the 127.0.0.1 the other tests share.
const source = privateLoopbackAddress();

let server: FastServer;
before(async () => {
  // Lockout is set out of reach here: this file is about verification, not throttling.
  server = await startFastServer({ LOCKOUT_MAX_FAILURES: "1000" });
});
after(() => server.close());

function b64json(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

const now = () => Math.floor(Date.now() / 1000);

const baseClaims = (sub: string) => claimsFor(server, sub);
const signEs256 = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
  signWithTrustedKey(server, header, claims);

interface Attack {
  name: string;
  request: (sub: string) => Promise<{ token?: string; url?: string; header?: string }>;
}

const attacks: Attack[] = [
  {
    name: "alg none",
    request: async (sub) => ({ token: `${b64json({ alg: "none", kid: "test-es256" })}.${b64json(baseClaims(sub))}.` }),
  },
  {
    name: "HS256 signed with the public key (algorithm confusion)",
    request: async (sub) => {
      const secret = new TextEncoder().encode(JSON.stringify(server.keys.rs256.publicJwk));
      return {
        token: await new SignJWT(baseClaims(sub)).setProtectedHeader({ alg: "HS256", kid: "test-rs256" }).sign(secret),
      };
    },
  },
  {
    name: "HS256 signed with the PEM-like modulus of the RSA key",
    request: async (sub) => {
      const secret = new TextEncoder().encode(String(server.keys.rs256.publicJwk.n));
      return {
        token: await new SignJWT(baseClaims(sub)).setProtectedHeader({ alg: "HS256", kid: "test-rs256" }).sign(secret),
      };
    },
  },
  {
    name: "unknown kid",
    request: async (sub) => ({ token: await signEs256({ kid: "not-a-known-key" }, baseClaims(sub)) }),
  },
  { name: "no kid", request: async (sub) => ({ token: await signEs256({ kid: undefined }, baseClaims(sub)) }) },
  {
    name: "expired",
    request: async (sub) => ({
      token: await signEs256({}, { ...baseClaims(sub), iat: now() - 900, exp: now() - 600 }),
    }),
  },
  {
    name: "nbf in the future",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), nbf: now() + 600 }) }),
  },
  {
    name: "iat in the future",
    request: async (sub) => ({
      token: await signEs256({}, { ...baseClaims(sub), iat: now() + 600, exp: now() + 900 }),
    }),
  },
  {
    name: "wrong iss",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), iss: "https://evil.example" }) }),
  },
  {
    name: "missing iss",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), iss: undefined }) }),
  },
  {
    name: "wrong aud",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), aud: "https://other.example/mcp" }) }),
  },
  {
    name: "missing aud",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), aud: undefined }) }),
  },
  {
    name: "missing exp",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), exp: undefined }) }),
  },
  {
    name: "missing sub",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), sub: undefined }) }),
  },
  {
    name: "lifetime above the maximum",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), exp: now() + 7200 }) }),
  },
  {
    name: "tampered payload (role raised after signing)",
    request: async (sub) => {
      const token = await signEs256({}, { ...baseClaims(sub), roles: ["guest"] });
      const [header, , signature] = token.split(".");
      return { token: `${header}.${b64json(baseClaims(sub))}.${signature}` };
    },
  },
  {
    name: "signature of another key under the trusted kid",
    request: async (sub) => {
      const token = await signEs256({}, baseClaims(sub));
      const other = await signEs256({}, { ...baseClaims(sub), jti: "other" });
      return { token: `${token.split(".").slice(0, 2).join(".")}.${other.split(".")[2]}` };
    },
  },
  {
    name: "token over 8 KB",
    request: async (sub) => ({ token: await signEs256({}, { ...baseClaims(sub), pad: "x".repeat(9000) }) }),
  },
  { name: "garbage", request: async () => ({ token: "not.a.jwt" }) },
  { name: "binary garbage", request: async () => ({ header: "Bearer \u00ff\u00fe" }) },
  { name: "empty bearer", request: async () => ({ header: "Bearer " }) },
  {
    name: "Basic credentials",
    request: async () => ({ header: `Basic ${Buffer.from("admin:admin").toString("base64")}` }),
  },
  {
    name: "token in the query string",
    request: async (sub) => ({ url: `?access_token=${await signEs256({}, baseClaims(sub))}` }),
  },
  {
    name: "token in a query parameter with another name",
    request: async (sub) => ({ url: `?q=${await signEs256({}, baseClaims(sub))}` }),
  },
  { name: "no Authorization header", request: async () => ({}) },
];

describe("token attacks", () => {
  for (const attack of attacks) {
    test(`${attack.name} -> 401 and no tool runs`, async () => {
      const sub = uniqueSub("attacker");
      const { token, url, header } = await attack.request(sub);
      const authorization = header ?? (token !== undefined ? `Bearer ${token}` : undefined);
      const response = await whoamiFrom(server, source, authorization, { query: url ?? "" });
      assert.equal(response.status, 401);
      const challenge = response.headers.get("www-authenticate") ?? "";
      assert.match(challenge, /^Bearer /);
      assert.ok(challenge.includes(`resource_metadata="${resourceMetadataUrl(server.config.resourceUrl)}"`), challenge);
      if (authorization !== undefined || url !== undefined) assert.match(challenge, /error="invalid_token"/);
      const body = (await response.json()) as { error: string };
      assert.equal(body.error, "invalid_token");
      assert.ok(!JSON.stringify(body).includes(sub), "the refusal does not echo claims back");
      await server.app.auditor.flush();
      const ran = server.logs.filter((line) => line.includes('"kind":"tool_call"') && line.includes(sub));
      assert.deepEqual(ran, [], "no tool call was made for the attacker");
    });
  }

  test("a valid token for the same server is accepted (the table's control case)", async () => {
    const sub = uniqueSub("control");
    const token = await server.mint({ sub, roles: ["guest"] });
    const response = await callTool(server, token, "whoami");
    assert.equal(response.status, 200);
    await server.app.auditor.flush();
    const ran = server.logs.filter((line) => line.includes('"kind":"tool_call"') && line.includes(sub));
    assert.equal(ran.length, 1, "the audit log shows the tool call, so the attack rows' empty check can fail");
  });

  test("an RS256 token from the trusted RSA key is accepted (asymmetric algorithms work)", async () => {
    const token = await server.mint({ sub: uniqueSub("rsa"), roles: ["guest"] }, server.keys.rs256);
    const response = await callTool(server, token, "whoami");
    assert.equal(response.status, 200);
  });

  test("a token with no valid role -> 403, never a fallback role", async () => {
    for (const roles of [[], ["superuser"], ["ADMIN"]]) {
      const token = await server.mint({ sub: uniqueSub("norole"), roles });
      const response = await callTool(server, token, "whoami");
      assert.equal(response.status, 403, `roles ${JSON.stringify(roles)}`);
      assert.match(response.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
    }
  });
});
