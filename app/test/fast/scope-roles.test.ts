// A token's role comes from its OAuth scopes (the mcp:* scopes the resource metadata
// advertises), or from a configured group mapping or roles claim; a 403 names the scope to ask
// for, and a token carrying it (the step-up) gets through.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { callTool, MCP_HEADERS, uniqueSub } from "../support/client.js";
import { startFastServer, type FastServer } from "../support/fast-server.js";

const GROUP_ROLES = { "mcp-operators": "operator", "/platform/admins": "admin" };
let server: FastServer;
let withRolesClaim: FastServer;
before(async () => {
  server = await startFastServer({ AUTH_GROUPS_CLAIM: "groups", AUTH_GROUP_ROLES: JSON.stringify(GROUP_ROLES) });
  withRolesClaim = await startFastServer({ AUTH_ROLES_CLAIM: "roles" });
});
after(async () => {
  await server.close();
  await withRolesClaim.close();
});

/** A token with exactly these claims granting its role (no mcp:* scope unless given). */
function tokenWith(target: FastServer, claims: Record<string, unknown>): Promise<string> {
  return target.mint({ sub: uniqueSub("scopes"), roles: [], extraClaims: claims });
}

async function whoamiRole(target: FastServer, token: string): Promise<string> {
  const response = await callTool(target, token, "whoami");
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { result: { content: Array<{ text: string }> } };
  return (JSON.parse(body.result.content[0]?.text ?? "{}") as { role: string }).role;
}

async function refusedForRole(target: FastServer, token: string): Promise<void> {
  const response = await callTool(target, token, "whoami");
  assert.equal(response.status, 403);
  assert.equal(((await response.json()) as { reason: string }).reason, "no_valid_role");
}

describe("roles from OAuth scopes", () => {
  test("mcp:readonly and mcp:admin each grant their role", async () => {
    assert.equal(await whoamiRole(server, await tokenWith(server, { scope: "mcp:readonly" })), "readonly");
    assert.equal(await whoamiRole(server, await tokenWith(server, { scope: "mcp:admin" })), "admin");
  });

  test("several scopes at once: the highest mcp:* scope counts, other scopes are ignored", async () => {
    assert.equal(
      await whoamiRole(
        server,
        await tokenWith(server, { scope: "openid profile mcp:guest mcp:operator offline_access" }),
      ),
      "operator",
    );
    // Some identity providers send scopes as an array (Okta's scp, for one).
    assert.equal(await whoamiRole(server, await tokenWith(server, { scope: ["mcp:readonly", "email"] })), "readonly");
  });

  test("unknown scopes grant nothing", async () => {
    await refusedForRole(
      server,
      await tokenWith(server, { scope: "mcp:root mcp:superuser admin operator mcp: MCP:ADMIN" }),
    );
    await refusedForRole(server, await tokenWith(server, { scope: 42 }));
    await refusedForRole(server, await tokenWith(server, {}));
  });

  test("the 403 above the caller's role names the scope to ask for; the stepped-up token passes", async () => {
    const response = await callTool(server, await tokenWith(server, { scope: "mcp:readonly" }), "create_entities", {
      entities: [{ name: "step-up", entityType: "test" }],
    });
    assert.equal(response.status, 403);
    const challenge = response.headers.get("www-authenticate") ?? "";
    assert.match(
      challenge,
      /^Bearer error="insufficient_scope", scope="mcp:operator", resource_metadata="[^"]+\/.well-known\/oauth-protected-resource\/mcp"$/,
    );
    const stepped = await tokenWith(server, { scope: "mcp:readonly mcp:operator" });
    const retried = await callTool(server, stepped, "create_entities", {
      entities: [{ name: "step-up", entityType: "test" }],
    });
    assert.equal(retried.status, 200);
    assert.notEqual(((await retried.json()) as { result: { isError?: boolean } }).result.isError, true);
  });

  test("the roles claim is not read unless configured", async () => {
    await refusedForRole(server, await tokenWith(server, { roles: ["admin"] }));
    assert.equal(await whoamiRole(withRolesClaim, await tokenWith(withRolesClaim, { roles: ["admin"] })), "admin");
    assert.equal(
      await whoamiRole(withRolesClaim, await tokenWith(withRolesClaim, { roles: ["guest"], scope: "mcp:operator" })),
      "operator",
    );
    await refusedForRole(withRolesClaim, await tokenWith(withRolesClaim, { groups: ["mcp-operators"] }));
  });
});

describe("roles from a group mapping", () => {
  test("a mapped group grants its role; unmapped groups grant nothing", async () => {
    assert.equal(await whoamiRole(server, await tokenWith(server, { groups: ["staff", "mcp-operators"] })), "operator");
    assert.equal(await whoamiRole(server, await tokenWith(server, { groups: ["/platform/admins"] })), "admin");
    await refusedForRole(server, await tokenWith(server, { groups: ["staff", "admins", "MCP-OPERATORS", "admin"] }));
  });

  test("groups and scopes together: the highest role either grants", async () => {
    assert.equal(
      await whoamiRole(server, await tokenWith(server, { groups: ["mcp-operators"], scope: "mcp:readonly" })),
      "operator",
    );
    assert.equal(
      await whoamiRole(server, await tokenWith(server, { groups: ["mcp-operators"], scope: "mcp:admin" })),
      "admin",
    );
  });
});

describe("resource metadata", () => {
  test("advertises the mcp:* scopes and the authorization server; no signing algorithms of its own", async () => {
    const response = await server.send({
      path: "/.well-known/oauth-protected-resource/mcp",
      headers: { accept: MCP_HEADERS.accept },
    });
    assert.equal(response.status, 200);
    const document = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(document.scopes_supported, ["mcp:guest", "mcp:readonly", "mcp:operator", "mcp:admin"]);
    assert.equal(document.resource, server.config.resourceUrl);
    assert.deepEqual(document.authorization_servers, [server.config.auth.issuer]);
    assert.equal(
      "resource_signing_alg_values_supported" in document,
      false,
      "that field is for signed resource responses, which this server does not send",
    );
  });
});
