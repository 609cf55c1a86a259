// npm run token: the minted token verifies against the development key set, with the asked
// subject, roles (as mcp:* scopes) and lifetime; the local-cluster issuer's token is accepted
// by a production configuration that trusts its key, which still refuses the development key;
// bad arguments exit 2 with the problem named.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createLocalJWKSet, jwtVerify } from "jose";
import { DEV_ISSUER, LOCAL_CLUSTER_ISSUER } from "../../app/src/auth/dev-keys.js";
import { createTokenVerifier } from "../../app/src/auth/token-verifier.js";
import { ConfigError, loadConfig } from "../../app/src/config.js";
import { parseSettings } from "../../infra/config.js";
import { MINIMAL_LOCAL_SETTINGS } from "../../infra/test/support/settings.js";

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "token.ts");
let keysDir: string;
let cacheDir: string;
before(async () => {
  keysDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-token-"));
  cacheDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-token-cache-"));
});

function token(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
    env: { ...process.env, MCP_BASTION_DEV_KEYS_DIR: keysDir, MCP_BASTION_CACHE: cacheDir, MCP_RESOURCE_URL: "" },
    encoding: "utf8",
  });
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
}

describe("token command", () => {
  test("mint prints a token the development key set verifies", async () => {
    const { code, stdout } = token(
      "mint",
      "--sub",
      "alice",
      "--roles",
      "operator,readonly",
      "--ttl",
      "90s",
      "--aud",
      "http://127.0.0.1:9999/mcp",
    );
    assert.equal(code, 0);
    const jwks = JSON.parse(await readFile(path.join(keysDir, "jwks.json"), "utf8"));
    const { payload, protectedHeader } = await jwtVerify(stdout, createLocalJWKSet(jwks), {
      issuer: DEV_ISSUER,
      audience: "http://127.0.0.1:9999/mcp",
    });
    assert.equal(payload.sub, "alice");
    assert.equal(payload.scope, "mcp:operator mcp:readonly");
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 90);
    assert.equal(protectedHeader.alg, "ES256");
    assert.match(String(protectedHeader.kid), /^mcp-bastion-dev-/);
  });

  test("--json prints the token and its expiry", () => {
    const { code, stdout } = token("mint", "--sub", "bob", "--roles", "guest", "--json");
    assert.equal(code, 0);
    const printed = JSON.parse(stdout) as { token: string; expiresAt: string };
    const claims = JSON.parse(Buffer.from(printed.token.split(".")[1] ?? "", "base64url").toString()) as {
      aud: string;
    };
    assert.equal(claims.aud, "http://127.0.0.1:8080/mcp", "an empty MCP_RESOURCE_URL means the default audience");
    assert.ok(Date.parse(printed.expiresAt) > Date.now());
  });

  test("a local-cluster stack trusts the local-cluster issuer's token in production, and still refuses the development key", async () => {
    const settings = token("local-cluster-issuer", "--json");
    assert.equal(settings.code, 0, settings.stderr);
    const { authIssuer, authJwks } = JSON.parse(settings.stdout) as { authIssuer: string; authJwks: string };
    assert.equal(authIssuer, LOCAL_CLUSTER_ISSUER);
    const stack = parseSettings({ ...MINIMAL_LOCAL_SETTINGS, authJwksUrl: undefined, authIssuer, authJwks });
    assert.equal(stack.authJwks, authJwks);
    assert.match(
      token("local-cluster-issuer").stdout,
      /^pulumi config set authIssuer urn:mcp-bastion:local-cluster\npulumi config set authJwks '\{"keys":/,
    );

    const audience = "https://mcp.localtest.me/mcp";
    const minted = token("mint", "--issuer", "local-cluster", "--sub", "alice", "--roles", "admin", "--aud", audience);
    assert.equal(minted.code, 0, minted.stderr);
    const jwksFile = path.join(cacheDir, "local-cluster-issuer", "jwks.json");
    const passwordFile = path.join(cacheDir, "password");
    await writeFile(passwordFile, "unused\n");
    const production = {
      NODE_ENV: "production",
      MCP_RESOURCE_URL: audience,
      AUTH_ISSUER: authIssuer,
      NEO4J_URI: "bolt://127.0.0.1:7687",
      NEO4J_PASSWORD_FILE: passwordFile,
    };
    const config = await loadConfig({ ...production, AUTH_JWKS_FILE: jwksFile });
    const verified = await (await createTokenVerifier(config.auth, config.resourceUrl))(minted.stdout);
    assert.equal(verified.sub, "alice");
    assert.equal(verified.claims.scope, "mcp:admin");

    await assert.rejects(
      loadConfig({ ...production, AUTH_JWKS_FILE: path.join(keysDir, "jwks.json") }),
      (error: Error) => error instanceof ConfigError && /development key/.test(error.message),
    );
    const devJwks = await readFile(path.join(keysDir, "jwks.json"), "utf8");
    assert.throws(
      () => parseSettings({ ...MINIMAL_LOCAL_SETTINGS, authJwksUrl: undefined, authJwks: devJwks }),
      /authJwks: holds the local development key/,
    );
    assert.throws(
      () => parseSettings({ ...MINIMAL_LOCAL_SETTINGS, authJwks }),
      /authJwksUrl: set exactly one of authJwksUrl and authJwks/,
    );
  });

  const bad: Array<[string[], RegExp]> = [
    [["mint", "--roles", "guest"], /--sub is required/],
    [["mint", "--sub", "a"], /--roles is required/],
    [["mint", "--sub", "a", "--roles", "root"], /unknown role\(s\) root/],
    [["mint", "--sub", "a", "--roles", "guest", "--ttl", "2h"], /--ttl: must be between 1s and 1h/],
    [["mint", "--sub", "a", "--roles", "guest", "--ttl", "soon"], /not a span/],
    [["mint", "--sub", "a", "--roles", "guest", "--bogus"], /Unknown option '--bogus'/],
    [["burn"], /unknown command "burn"/],
    [
      ["mint", "--sub", "a", "--roles", "guest", "--issuer", "someone"],
      /--issuer: 'someone' is not one of dev, local-cluster/,
    ],
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
    assert.match(stdout, /^usage: npm run token -- mint/);
  });
});
