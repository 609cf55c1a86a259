// What any client sees before and around authentication: RFC 9728 metadata, security headers,
// DNS-rebinding refusals, and logs and audit that hold no token and no raw attacker text.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, MCP_HEADERS, uniqueSub } from "../support/client.js";
import { startFastServer, type FastServer } from "../support/fast-server.js";

let server: FastServer;
before(async () => {
  server = await startFastServer();
});
const get = (path: string) => server.send({ path });
after(() => server.close());

describe("HTTP surface", () => {
  for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
    test(`${path} serves RFC 9728 metadata`, async () => {
      const response = await get(path);
      assert.equal(response.status, 200);
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.resource, server.config.resourceUrl);
      assert.deepEqual(metadata.authorization_servers, [server.config.auth.issuer]);
      assert.deepEqual(metadata.bearer_methods_supported, ["header"]);
      assert.deepEqual(metadata.scopes_supported, ["mcp:guest", "mcp:readonly", "mcp:operator", "mcp:admin"]);
    });
  }

  test("security headers on public, refused and served responses alike", async () => {
    const token = await server.mint({ sub: uniqueSub("headers"), roles: ["guest"] });
    const responses = [
      await get("/healthz"),
      await get("/.well-known/oauth-protected-resource"),
      await callTool(server, undefined, "whoami"),
      await callTool(server, token, "whoami"),
      await get("/no-such-route"),
    ];
    for (const response of responses) {
      const where = `${response.url} ${response.status}`;
      assert.match(response.headers.get("strict-transport-security") ?? "", /max-age=\d+; includeSubDomains/, where);
      assert.equal(response.headers.get("content-security-policy"), "default-src 'none';frame-ancestors 'none'", where);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", where);
      assert.equal(response.headers.get("referrer-policy"), "no-referrer", where);
      assert.equal(response.headers.get("x-frame-options"), "DENY", where);
      assert.equal(response.headers.get("x-powered-by"), null, where);
      assert.match(response.headers.get("permissions-policy") ?? "", /camera=\(\), .*geolocation=\(\)/, where);
    }
  });

  test("logs never contain a token or an Authorization header", async () => {
    const token = await server.mint({ sub: uniqueSub("logs"), roles: ["guest"] });
    await callTool(server, token, "whoami");
    await server.send({
      method: "POST",
      path: `/mcp?access_token=${token}`,
      headers: { authorization: `Bearer ${token}` },
    });
    await server.app.auditor.flush();
    const signature = token.split(".")[2] ?? "";
    assert.ok(server.logs.length > 0);
    for (const line of server.logs) {
      assert.ok(!line.includes(signature), `a log line holds the token: ${line.slice(0, 200)}`);
      assert.doesNotMatch(line, /Bearer /);
    }
  });
});

describe("attacker text in logs and audit", () => {
  test("a forged sub never reaches the audit; a verified sub with CR/LF and a bidi override is stored escaped, never as a new line", async () => {
    const sub = `evil-${uniqueSub("x")}\r\n{"level":30,"msg":"admin ok"}\u202e`;
    const header = Buffer.from(JSON.stringify({ alg: "ES256", kid: "test-es256" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ sub })).toString("base64url");
    assert.equal((await callTool(server, `${header}.${payload}.c2ln`, "whoami")).status, 401);
    await server.app.auditor.flush();
    const principals = async () => {
      const events = await server.auditStore.search({ limit: 10_000 });
      return events.map((event) => event.principal).filter((principal) => principal.startsWith(sub.slice(0, 15)));
    };
    assert.deepEqual(await principals(), [], "a token that does not verify names nobody in the audit");

    // An identity provider that lets users choose such a name signs it: the refusal names it, escaped.
    assert.equal(
      (await callTool(server, await server.mint({ sub, roles: ["guest"], ttlSeconds: -120 }), "whoami")).status,
      401,
    );
    await server.app.auditor.flush();
    const stored = (await principals())[0] ?? "";
    assert.ok(!/[\r\n\u202e]/.test(stored), stored);
    assert.match(stored, /\\u000d\\u000a.*\\u202e$/);
    for (const line of server.logs) assert.ok(!line.includes("\u202e"), "no raw bidi override in a log line");
  });
});

describe("DNS rebinding and cross-origin calls", () => {
  test("a foreign Host or Origin is refused with 403 before authentication, a known one served; no CORS headers", async () => {
    const token = await server.mint({ sub: uniqueSub("origin"), roles: ["guest"] });
    const origin = new URL(server.config.resourceUrl).origin;
    const send = (headers: Record<string, string>) =>
      server.send({
        method: "POST",
        path: "/mcp",
        headers: { ...MCP_HEADERS, authorization: `Bearer ${token}`, ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
    const ok = await send({ origin });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), null);
    const foreign: Array<Record<string, string>> = [
      { origin: "https://attacker.example" },
      { origin: "null" },
      { host: `attacker.example:${new URL(server.config.resourceUrl).port || "80"}` },
    ];
    for (const headers of foreign) {
      const refused = await send(headers);
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.equal(((await refused.json()) as { error: string }).error, "forbidden_origin");
    }
    const revoke = await server.send({
      method: "POST",
      path: "/auth/revoke",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
        origin: "https://attacker.example",
      },
      body: JSON.stringify({ token }),
    });
    assert.equal(revoke.status, 403, "the /auth routes are protected the same way");
    assert.equal((await send({})).status, 200, "the token was not revoked by the refused request");
  });
});
