// Lockout: repeated failed authentications lock a principal (across replicas, in Neo4j), and the
// lock expires on its own.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, MCP_HEADERS, postFrom, privateLoopbackAddress, startTestServer, toolCallBody, uniqueSub, type TestServer } from "./support/harness.js";

let server: TestServer;
let peer: TestServer;
before(async () => {
  const env = { LOCKOUT_MAX_FAILURES: "5", LOCKOUT_WINDOW_SECONDS: "60", LOCKOUT_DURATION_SECONDS: "3" };
  server = await startTestServer(env);
  peer = await startTestServer(env, { keys: server.keys, port: Number(new URL(server.baseUrl).port) });
});
after(async () => {
  await server.close();
  await peer.close();
});

describe("lockout", () => {
  test("5 failures for one sub -> 429 with Retry-After, on every replica, audited; the lock expires", async () => {
    const sub = uniqueSub("brute");
    const good = await server.mint({ sub, roles: ["guest"] });
    const expired = await server.mint({ sub, roles: ["guest"], ttlSeconds: -120 });
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.equal((await callTool(server, expired, "whoami")).status, 401, `attempt ${attempt}`);
    }
    const locked = await callTool(server, good, "whoami");
    assert.equal(locked.status, 429, "even a valid token is refused while locked");
    const retryAfter = Number(locked.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter}`);

    await peer.server.securityState.pull();
    assert.equal((await callTool(peer, good, "whoami")).status, 429, "the lock holds on another replica");

    await server.server.app.auditor.flush();
    assert.ok(server.logs.some((line) => line.includes('"kind":"lockout"') && line.includes(sub)), "the lockout is audited");
    const { records } = await server.server.driver.executeQuery(
      "MATCH (e:AuditEvent {kind: 'lockout', principal: $sub}) RETURN count(e) AS n",
      { sub },
    );
    assert.equal(records[0]?.get("n"), 1);

    await new Promise((resolve) => setTimeout(resolve, (retryAfter + 0.5) * 1000));
    assert.equal((await callTool(server, good, "whoami")).status, 200, "the lock expired");
  });

  test("4 failures do not lock", async () => {
    const sub = uniqueSub("almost");
    const expired = await server.mint({ sub, roles: ["guest"], ttlSeconds: -120 });
    for (let attempt = 1; attempt <= 4; attempt++) await callTool(server, expired, "whoami");
    assert.equal((await callTool(server, await server.mint({ sub, roles: ["guest"] }), "whoami")).status, 200);
  });

  test("garbage tokens are counted against the client address", async () => {
    const sub = uniqueSub("bystander");
    const source = privateLoopbackAddress();
    const send = (token: string) => postFrom(source, peer.mcpUrl, { ...MCP_HEADERS, authorization: `Bearer ${token}` }, toolCallBody("whoami"));
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.equal((await send("garbage.garbage.garbage")).status, 401, `attempt ${attempt}`);
    }
    assert.equal((await send("garbage.garbage.garbage")).status, 429);
    // The address is locked for tokens that name no subject, and for named ones too ...
    assert.equal((await send(await peer.mint({ sub, roles: ["guest"] }))).status, 429);
    // ... but not for other addresses.
    assert.equal((await callTool(peer, await peer.mint({ sub, roles: ["guest"] }), "whoami")).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    assert.equal((await send(await peer.mint({ sub, roles: ["guest"] }))).status, 200);
  });
});
