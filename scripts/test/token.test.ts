// npm run token: the minted token verifies against the development key set, with the asked
// subject, roles and lifetime; bad arguments exit 2 with the problem named.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createLocalJWKSet, jwtVerify } from "jose";
import { DEV_ISSUER } from "../../app/src/auth/dev-keys.js";

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "token.ts");
let keysDir: string;
before(async () => {
  keysDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-token-"));
});

function token(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
    env: { ...process.env, MCP_BASTION_DEV_KEYS_DIR: keysDir, MCP_RESOURCE_URL: "" },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

describe("token command", () => {
  test("mint prints a token the development key set verifies", async () => {
    const { code, stdout } = token("mint", "--sub", "alice", "--roles", "operator,readonly", "--ttl", "90s", "--aud", "http://127.0.0.1:9999/mcp");
    assert.equal(code, 0);
    const jwks = JSON.parse(await readFile(path.join(keysDir, "jwks.json"), "utf8"));
    const { payload, protectedHeader } = await jwtVerify(stdout, createLocalJWKSet(jwks), { issuer: DEV_ISSUER, audience: "http://127.0.0.1:9999/mcp" });
    assert.equal(payload.sub, "alice");
    assert.deepEqual(payload.roles, ["operator", "readonly"]);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 90);
    assert.equal(protectedHeader.alg, "ES256");
    assert.match(String(protectedHeader.kid), /^mcp-bastion-dev-/);
  });

  test("--json prints the token and its expiry", () => {
    const { code, stdout } = token("mint", "--sub", "bob", "--roles", "guest", "--json");
    assert.equal(code, 0);
    const printed = JSON.parse(stdout) as { token: string; expiresAt: string };
    const claims = JSON.parse(Buffer.from(printed.token.split(".")[1] ?? "", "base64url").toString()) as { aud: string };
    assert.equal(claims.aud, "http://127.0.0.1:8080/mcp", "an empty MCP_RESOURCE_URL means the default audience");
    assert.ok(Date.parse(printed.expiresAt) > Date.now());
  });

  const bad: Array<[string[], RegExp]> = [
    [["mint", "--roles", "guest"], /--sub is required/],
    [["mint", "--sub", "a"], /--roles is required/],
    [["mint", "--sub", "a", "--roles", "root"], /unknown role\(s\) root/],
    [["mint", "--sub", "a", "--roles", "guest", "--ttl", "2h"], /--ttl: must be between 1s and 1h/],
    [["mint", "--sub", "a", "--roles", "guest", "--ttl", "soon"], /not a span/],
    [["mint", "--sub", "a", "--roles", "guest", "--bogus"], /Unknown option '--bogus'/],
    [["burn"], /unknown command 'burn'/],
  ];
  for (const [args, message] of bad) {
    test(`${args.join(" ")} -> exit 2 naming the problem`, () => {
      const { code, stdout, stderr } = token(...args);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(stderr, message);
    });
  }

  test("--help prints the usage and exits 0", () => {
    const { code, stdout } = token("mint", "--help");
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: npm run token -- mint/);
  });
});
