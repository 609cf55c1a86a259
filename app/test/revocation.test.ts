// Revocation in Neo4j: by token, by jti, revoke-all; who may revoke what; and how fast a
// revocation reaches another replica.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let replicaA: TestServer;
let replicaB: TestServer;
before(async () => {
  replicaA = await startTestServer();
  // A second replica of the same deployment: same keys, same resource URL, same Neo4j.
  replicaB = await startTestServer({}, { keys: replicaA.keys, port: Number(new URL(replicaA.baseUrl).port) });
});
after(async () => {
  await replicaA.close();
  await replicaB.close();
});

async function post(server: TestServer, path: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

describe("revocation", () => {
  test("a user revokes their own token; it is refused on this replica at once", async () => {
    const sub = uniqueSub("self");
    const token = await replicaA.mint({ sub, roles: ["readonly"] });
    assert.equal((await callTool(replicaA, token, "whoami")).status, 200);
    const response = await post(replicaA, "/auth/revoke", token, { token });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const refused = await callTool(replicaA, token, "whoami");
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { reason: string }).reason, "revoked");
  });

  test("the revocation reaches another replica within the stated bound (1 s)", async () => {
    const sub = uniqueSub("propagate");
    const token = await replicaA.mint({ sub, roles: ["readonly"] });
    assert.equal((await callTool(replicaB, token, "whoami")).status, 200);
    const revokedAt = Date.now();
    assert.equal((await post(replicaA, "/auth/revoke", token, { token })).status, 200);
    let delayMs = -1;
    while (Date.now() - revokedAt < 5_000) {
      if ((await callTool(replicaB, token, "whoami")).status === 401) {
        delayMs = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(delayMs >= 0, "replica B never refused the revoked token");
    assert.ok(delayMs <= 1_000, `propagation took ${delayMs} ms`);
  });

  test("the database stores the token's SHA-256, never the token", async () => {
    const sub = uniqueSub("hash");
    const token = await replicaA.mint({ sub, roles: ["guest"] });
    await post(replicaA, "/auth/revoke", token, { token, reason: "lost laptop" });
    const { records } = await replicaA.server.driver.executeQuery("MATCH (r:RevokedToken {sub: $sub}) RETURN r", {
      sub,
    });
    assert.equal(records.length, 1);
    const stored = records[0]?.get("r").properties as Record<string, unknown>;
    assert.match(String(stored.tokenHash), /^[0-9a-f]{64}$/);
    assert.equal(stored.reason, "lost laptop");
    assert.equal(stored.revokedBy, sub);
    assert.ok(Number(stored.expiresAt) > Date.now());
    assert.ok(
      !JSON.stringify(stored).includes(token.split(".")[2] ?? "-"),
      "no part of the token's signature is stored",
    );
    assert.ok(!JSON.stringify(stored).includes(token.split(".")[1] ?? "-"), "no part of the token's payload is stored");
  });

  test("a non-admin may not revoke another user's token; an admin may", async () => {
    const victim = await replicaA.mint({ sub: uniqueSub("victim"), roles: ["operator"] });
    const mallory = await replicaA.mint({ sub: uniqueSub("mallory"), roles: ["operator"] });
    const denied = await post(replicaA, "/auth/revoke", mallory, { token: victim });
    assert.equal(denied.status, 403);
    assert.equal((await callTool(replicaA, victim, "whoami")).status, 200);
    const admin = await replicaA.mint({ sub: uniqueSub("admin"), roles: ["admin"] });
    assert.equal((await post(replicaA, "/auth/revoke", admin, { token: victim })).status, 200);
    assert.equal((await callTool(replicaA, victim, "whoami")).status, 401);
  });

  test("revoking by jti: a user's own jti, an admin's for any subject", async () => {
    const sub = uniqueSub("jti");
    const token = await replicaA.mint({ sub, roles: ["guest"], jti: `jti-${sub}` });
    const other = await replicaA.mint({ sub: uniqueSub("bystander"), roles: ["guest"], jti: `jti-${sub}` });
    assert.equal((await post(replicaA, "/auth/revoke", token, { jti: `jti-${sub}` })).status, 200);
    assert.equal((await callTool(replicaA, token, "whoami")).status, 401);
    assert.equal(
      (await callTool(replicaA, other, "whoami")).status,
      200,
      "a user's jti revocation only touches their own tokens",
    );
    const stranger = await replicaA.mint({ sub: uniqueSub("stranger"), roles: ["guest"] });
    assert.equal((await post(replicaA, "/auth/revoke", stranger, { jti: "x", sub })).status, 403);
  });

  test("revoke-all: every token of the user issued before now; newer tokens work", async () => {
    const sub = uniqueSub("all");
    const first = await replicaA.mint({ sub, roles: ["readonly"] });
    const second = await replicaA.mint({ sub, roles: ["readonly"] });
    const admin = await replicaA.mint({ sub: uniqueSub("admin"), roles: ["admin"] });
    const response = await post(replicaA, "/auth/revoke-all", admin, { sub });
    assert.equal(response.status, 200);
    assert.equal((await callTool(replicaA, first, "whoami")).status, 401);
    assert.equal((await callTool(replicaA, second, "whoami")).status, 401);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // iat has one-second resolution
    const fresh = await replicaA.mint({ sub, roles: ["readonly"] });
    assert.equal((await callTool(replicaA, fresh, "whoami")).status, 200);
  });

  test("revoke-all for someone else needs admin; for oneself it is allowed", async () => {
    const sub = uniqueSub("me");
    const mine = await replicaA.mint({ sub, roles: ["guest"] });
    assert.equal((await post(replicaA, "/auth/revoke-all", mine, { sub: uniqueSub("other") })).status, 403);
    assert.equal((await post(replicaA, "/auth/revoke-all", mine, { sub })).status, 200);
    assert.equal((await callTool(replicaA, mine, "whoami")).status, 401);
  });

  test("bad revocation requests are refused with a message naming the problem", async () => {
    const token = await replicaA.mint({ sub: uniqueSub("bad"), roles: ["guest"] });
    const cases: Array<[unknown, RegExp]> = [
      [{}, /invalid request body/],
      [{ token: "not-a-token" }, /not a valid token/],
      [{ jti: "" }, /invalid request body/],
      [{ token, extra: true }, /invalid request body/],
      [{ sub: "x" }, /invalid request body/],
    ];
    for (const [body, message] of cases) {
      const response = await post(replicaA, "/auth/revoke", token, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(((await response.json()) as { message: string }).message, message);
    }
    assert.equal((await callTool(replicaA, token, "whoami")).status, 200, "bad requests revoked nothing");
  });

  test("/auth routes require a token too", async () => {
    const response = await fetch(`${replicaA.baseUrl}/auth/revoke-all`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("cache-control"), "no-store");
  });
});
