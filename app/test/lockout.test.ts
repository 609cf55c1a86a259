// Lockout: refused tokens are counted against whoever they prove something about (a verified
// token's user, otherwise its source address), in Neo4j across replicas; a lock makes refused
// tokens cost the sender, never a valid token its acceptance, and every lock is audited.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { forgedToken, whoamiFrom } from "./support/attacks.js";
import { callTool, privateLoopbackAddress, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

const LOCK_SECONDS = 3;
let server: TestServer;
let peer: TestServer;
let behindProxy: TestServer;
before(async () => {
  const env = {
    LOCKOUT_MAX_FAILURES: "5",
    LOCKOUT_WINDOW_SECONDS: "60",
    LOCKOUT_DURATION_SECONDS: String(LOCK_SECONDS),
  };
  server = await startTestServer(env);
  peer = await startTestServer(env, { keys: server.keys, port: Number(new URL(server.baseUrl).port) });
  // The ingress controller of this deployment is the peer at 127.0.0.1.
  behindProxy = await startTestServer({ ...env, MCP_TRUSTED_PROXIES: "127.0.0.1" });
});
after(async () => {
  await server.close();
  await peer.close();
  await behindProxy.close();
});

function sendFrom(
  source: string,
  target: TestServer,
  token: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return whoamiFrom(target, source, `Bearer ${token}`, { headers });
}

async function lockoutAudits(target: TestServer, principal: string): Promise<number> {
  await target.server.app.auditor.flush();
  const { records } = await target.server.driver.executeQuery(
    "MATCH (e:AuditEvent {kind: 'lockout', principal: $principal}) RETURN count(e) AS n",
    { principal },
  );
  return records[0]?.get("n") as number;
}

async function throttleExists(target: TestServer, key: string): Promise<boolean> {
  const { records } = await target.server.driver.executeQuery(
    "MATCH (t:AuthThrottle {key: $key}) RETURN count(t) AS n",
    { key },
  );
  return (records[0]?.get("n") as number) > 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("lockout of a user: only its own verified-but-refused tokens count", () => {
  test("5 expired tokens of one user lock its refused tokens (429 on every replica, audited once); its valid token keeps working; the lock expires", async () => {
    const sub = uniqueSub("looping-client");
    const good = await server.mint({ sub, roles: ["guest"] });
    const expired = await server.mint({ sub, roles: ["guest"], ttlSeconds: -120 });
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.equal((await callTool(server, expired, "whoami")).status, 401, `attempt ${attempt}`);
    }
    const locked = await callTool(server, expired, "whoami");
    assert.equal(locked.status, 429, "the user's refused tokens are answered 429 while locked");
    const retryAfter = Number(locked.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= LOCK_SECONDS, `Retry-After ${retryAfter}`);
    assert.equal(
      ((await locked.json()) as { reason?: string }).reason,
      undefined,
      "a locked refusal does not say why the token failed",
    );
    assert.equal((await callTool(server, good, "whoami")).status, 200, "a valid token of the locked user is accepted");

    await peer.server.securityState.pull();
    assert.equal((await callTool(peer, expired, "whoami")).status, 429, "the lock holds on another replica");
    assert.equal((await callTool(peer, good, "whoami")).status, 200);

    assert.equal(await lockoutAudits(server, sub), 1, "the lock is audited once");
    assert.ok(
      server.logs.some((line) => line.includes('"kind":"lockout"') && line.includes(sub)),
      "the lockout is logged",
    );

    await sleep((retryAfter + 0.5) * 1000);
    assert.equal((await callTool(server, expired, "whoami")).status, 401, "the lock expired");
  });

  test("below the limit nothing is locked: the failure that reaches it is still answered 401", async () => {
    const sub = uniqueSub("almost");
    const expired = await server.mint({ sub, roles: ["guest"], ttlSeconds: -120 });
    for (let attempt = 1; attempt <= 5; attempt++)
      assert.equal((await callTool(server, expired, "whoami")).status, 401, `attempt ${attempt}`);
  });

  test("a revoked token counts against its user", async () => {
    const sub = uniqueSub("revoked");
    const token = await server.mint({ sub, roles: ["guest"] });
    const admin = await server.mint({ sub: uniqueSub("admin"), roles: ["admin"] });
    const revoke = await fetch(`${server.baseUrl}/auth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({ token }),
    });
    assert.equal(revoke.status, 200, await revoke.text());
    for (let attempt = 1; attempt <= 5; attempt++)
      assert.equal((await callTool(server, token, "whoami")).status, 401, `attempt ${attempt}`);
    assert.equal((await callTool(server, token, "whoami")).status, 429);
    assert.ok(await throttleExists(server, `sub:${sub}`));
  });
});

describe("an attack burst of unverifiable tokens from one address", () => {
  test("throttles that source only: the user the forgeries name and other users from the address keep working; the lock is audited once", async () => {
    const source = privateLoopbackAddress();
    const victim = uniqueSub("victim");
    const neighbour = uniqueSub("neighbour");
    const burst = await Promise.all(Array.from({ length: 12 }, () => forgedToken(peer, victim)));
    const statuses: number[] = [];
    for (const token of [...burst, "garbage.garbage.garbage", "not-even-a-jws"])
      statuses.push((await sendFrom(source, peer, token)).status);
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(
      statuses.slice(5).every((status) => status === 429),
      `after the lock every forgery is 429: ${statuses.join(",")}`,
    );

    // Valid tokens are judged on their own, from the throttled address too.
    assert.equal(
      (await sendFrom(source, peer, await peer.mint({ sub: victim, roles: ["guest"] }))).status,
      200,
      "the named user, from the attacked address",
    );
    assert.equal(
      (await sendFrom(source, peer, await peer.mint({ sub: neighbour, roles: ["guest"] }))).status,
      200,
      "another user behind the same address",
    );
    assert.equal(
      (await callTool(peer, await peer.mint({ sub: victim, roles: ["guest"] }), "whoami")).status,
      200,
      "the named user, elsewhere",
    );
    assert.equal(
      (await sendFrom(privateLoopbackAddress(), peer, burst[0] as string)).status,
      401,
      "the same forgery from another address is not throttled",
    );

    assert.equal(await throttleExists(peer, `sub:${victim}`), false, "a forged name never reaches a user's count");
    assert.ok(await throttleExists(peer, `ip:${source}`));
    assert.equal(
      await lockoutAudits(peer, `ip:${source}`),
      1,
      "the source's lock is audited once, however long the burst",
    );
    await server.server.securityState.pull();
    assert.equal(
      (await sendFrom(source, server, burst[1] as string)).status,
      429,
      "every replica throttles the source",
    );
  });
});

describe("the client address behind a trusted proxy", () => {
  const lockSource = async (forwardedFor: string) => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.equal(
        (await sendFrom("127.0.0.1", behindProxy, "garbage.garbage.garbage", { "x-forwarded-for": forwardedFor }))
          .status,
        401,
        `attempt ${attempt}`,
      );
    }
  };

  test("from the trusted proxy, X-Forwarded-For names the client: its lock is its own", async () => {
    const client = `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
    await lockSource(client);
    assert.equal(
      (await sendFrom("127.0.0.1", behindProxy, "garbage.garbage.garbage", { "x-forwarded-for": client })).status,
      429,
    );
    assert.ok(await throttleExists(behindProxy, `ip:${client}`));
    // Other clients of the same proxy are not throttled: the lock is the client's, not the proxy's.
    assert.equal(
      (await sendFrom("127.0.0.1", behindProxy, "garbage.garbage.garbage", { "x-forwarded-for": "198.51.100.9" }))
        .status,
      401,
    );
    // A client that prepends someone else's address to the header still is the hop the proxy saw.
    assert.equal(
      (
        await sendFrom("127.0.0.1", behindProxy, "garbage.garbage.garbage", {
          "x-forwarded-for": `198.51.100.77, ${client}`,
        })
      ).status,
      429,
    );
    assert.equal(await throttleExists(behindProxy, "ip:198.51.100.77"), false);
  });

  test("from an untrusted peer the header is ignored: failures count against the peer", async () => {
    const peerAddress = privateLoopbackAddress();
    const claimed = "192.0.2.55";
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.equal(
        (await sendFrom(peerAddress, behindProxy, "garbage.garbage.garbage", { "x-forwarded-for": claimed })).status,
        401,
      );
    }
    assert.equal(
      await throttleExists(behindProxy, `ip:${claimed}`),
      false,
      "a claimed address is not believed from an untrusted peer",
    );
    assert.ok(await throttleExists(behindProxy, `ip:${peerAddress}`));
    assert.equal(
      (await sendFrom(peerAddress, behindProxy, "garbage.garbage.garbage", { "x-forwarded-for": "192.0.2.56" })).status,
      429,
      "changing the header does not escape the lock",
    );
  });
});
