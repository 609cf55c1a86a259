// Configuration is validated at start-up; bad values stop the process with the setting named.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { ensureDevKeys } from "../src/auth/dev-keys.js";
import { ConfigError, loadConfig } from "../src/config.js";

let dir: string;
let passwordFile: string;
let jwksFile: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-config-"));
  process.env.MCP_BASTION_DEV_KEYS_DIR = path.join(dir, "dev-keys");
  passwordFile = path.join(dir, "password");
  jwksFile = path.join(dir, "jwks.json");
  await writeFile(passwordFile, "s3cret-password\n");
  await writeFile(jwksFile, JSON.stringify({ keys: [] }));
});

function base(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AUTH_ISSUER: "https://issuer.example",
    AUTH_JWKS_FILE: jwksFile,
    NEO4J_URI: "bolt://127.0.0.1:7687",
    NEO4J_PASSWORD_FILE: passwordFile,
    ...extra,
  };
}

async function rejectsNaming(env: NodeJS.ProcessEnv, ...fragments: RegExp[]): Promise<void> {
  await assert.rejects(loadConfig(env), (error: Error) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error.name}`);
    for (const fragment of fragments) assert.match(error.message, fragment);
    return true;
  });
}

describe("configuration", () => {
  test("a good configuration loads with secure defaults", async () => {
    const config = await loadConfig(base());
    assert.equal(config.neo4j.password, "s3cret-password");
    assert.deepEqual(config.auth.algorithms, ["ES256", "EdDSA", "RS256", "PS256"]);
    assert.equal(config.lockout.maxFailures, 5);
    assert.equal(config.lockout.windowMs, 300_000);
    assert.equal(config.securitySync.maxStalenessMs, 1000);
  });

  test("symmetric or 'none' algorithms cannot be configured", async () => {
    await rejectsNaming(base({ AUTH_ALGORITHMS: "HS256" }), /AUTH_ALGORITHMS/);
    await rejectsNaming(base({ AUTH_ALGORITHMS: "ES256,none" }), /AUTH_ALGORITHMS/);
  });

  test("every bad setting is named at once", async () => {
    await rejectsNaming(
      base({ MCP_PORT: "99999", LOCKOUT_MAX_FAILURES: "zero", NEO4J_URI: "http://x" }),
      /MCP_PORT/,
      /LOCKOUT_MAX_FAILURES/,
      /NEO4J_URI/,
    );
  });

  test("a secret in the environment is refused: secrets come from files", async () => {
    await rejectsNaming(
      base({ NEO4J_PASSWORD: "plain" }),
      /NEO4J_PASSWORD: secrets are read from files; set NEO4J_PASSWORD_FILE/,
    );
  });

  test("an unreadable or empty secret file is named", async () => {
    await rejectsNaming(
      base({ NEO4J_PASSWORD_FILE: path.join(dir, "missing") }),
      /NEO4J_PASSWORD_FILE: cannot read the file .*ENOENT/,
    );
    const empty = path.join(dir, "empty");
    await writeFile(empty, "\n");
    await rejectsNaming(base({ NEO4J_PASSWORD_FILE: empty }), /NEO4J_PASSWORD_FILE: the file .* is empty/);
  });

  test("both or neither JWKS source is refused in production", async () => {
    await rejectsNaming(
      base({ AUTH_JWKS_URL: "https://issuer.example/jwks" }),
      /exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE/,
    );
    await rejectsNaming(
      { ...base({ NODE_ENV: "production", MCP_RESOURCE_URL: "https://mcp.example/mcp" }), AUTH_JWKS_FILE: undefined },
      /exactly one/,
    );
  });

  test("outside production, no key configured means the development key", async () => {
    const config = await loadConfig({ NEO4J_URI: "bolt://127.0.0.1:7687", NEO4J_PASSWORD_FILE: passwordFile });
    const { jwksFile: devJwks } = await ensureDevKeys();
    assert.deepEqual(config.auth.jwks, { file: devJwks });
  });

  test("production refuses to start with the development key, wherever the file is", async () => {
    const { jwksFile: devJwks } = await ensureDevKeys();
    const copy = path.join(dir, "innocent-looking-jwks.json");
    await writeFile(copy, await import("node:fs/promises").then((fs) => fs.readFile(devJwks)));
    for (const file of [devJwks, copy]) {
      await rejectsNaming(
        base({ NODE_ENV: "production", AUTH_JWKS_FILE: file, MCP_RESOURCE_URL: "https://mcp.example/mcp" }),
        /AUTH_JWKS_FILE: holds the local development key/,
      );
    }
  });

  test("roles come from the scope claim; the roles claim and a group mapping only when configured", async () => {
    assert.deepEqual((await loadConfig(base())).auth.roles, {
      scopeClaim: "scope",
      rolesClaim: undefined,
      groups: undefined,
    });
    const config = await loadConfig(
      base({
        AUTH_SCOPE_CLAIM: "scp",
        AUTH_ROLES_CLAIM: "roles",
        AUTH_GROUPS_CLAIM: "groups",
        AUTH_GROUP_ROLES: JSON.stringify({ "mcp-admins": "admin" }),
      }),
    );
    assert.deepEqual(config.auth.roles, {
      scopeClaim: "scp",
      rolesClaim: "roles",
      groups: { claim: "groups", roles: { "mcp-admins": "admin" } },
    });
    await rejectsNaming(
      base({ AUTH_GROUPS_CLAIM: "groups" }),
      /AUTH_GROUP_ROLES: set both AUTH_GROUPS_CLAIM and AUTH_GROUP_ROLES/,
    );
    await rejectsNaming(
      base({ AUTH_GROUPS_CLAIM: "groups", AUTH_GROUP_ROLES: "{not json" }),
      /AUTH_GROUP_ROLES: is not valid JSON/,
    );
    await rejectsNaming(
      base({ AUTH_GROUPS_CLAIM: "groups", AUTH_GROUP_ROLES: JSON.stringify({ ops: "root" }) }),
      /AUTH_GROUP_ROLES at ops: must be one of/,
    );
    await rejectsNaming(base({ AUTH_SCOPE_CLAIM: "a claim with spaces" }), /AUTH_SCOPE_CLAIM: must be a claim name/);
  });

  test("trusted proxies are addresses or CIDR ranges; none by default", async () => {
    assert.deepEqual((await loadConfig(base())).trustedProxies, []);
    const config = await loadConfig(base({ MCP_TRUSTED_PROXIES: "10.0.0.0/8, 127.0.0.1, fd00::/8" }));
    assert.deepEqual(
      config.trustedProxies.map(([range, bits]) => `${range.toString()}/${bits}`),
      ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"],
    );
    await rejectsNaming(
      base({ MCP_TRUSTED_PROXIES: "10.0.0.0/8,ingress-nginx" }),
      /MCP_TRUSTED_PROXIES: 'ingress-nginx' is neither an address nor a CIDR range/,
    );
    await rejectsNaming(
      base({ MCP_TRUSTED_PROXIES: "10.0.0.0/99" }),
      /MCP_TRUSTED_PROXIES: '10.0.0.0\/99' is not a CIDR range/,
    );
  });

  test("rate limit overrides are checked: JSON, shape and tool names", async () => {
    await rejectsNaming(base({ RATE_LIMIT_OVERRIDES: "{not json" }), /RATE_LIMIT_OVERRIDES: is not valid JSON/);
    await rejectsNaming(
      base({ RATE_LIMIT_OVERRIDES: JSON.stringify({ tools: { wohami: { perMinute: 1, burst: 1 } } }) }),
      /RATE_LIMIT_OVERRIDES at tools\.wohami: no tool is called wohami/,
    );
    await rejectsNaming(
      base({ RATE_LIMIT_OVERRIDES: JSON.stringify({ roles: { root: { perMinute: 1, burst: 1 } } }) }),
      /RATE_LIMIT_OVERRIDES/,
    );
    await rejectsNaming(
      base({ RATE_LIMIT_OVERRIDES: JSON.stringify({ roles: { admin: { perMinute: 0, burst: 1 } } }) }),
      /RATE_LIMIT_OVERRIDES at roles\.admin\.perMinute: must be more than 0/,
    );
    const config = await loadConfig(
      base({ RATE_LIMIT_OVERRIDES: JSON.stringify({ roles: { admin: { perMinute: 600, burst: 50 } } }) }),
    );
    assert.deepEqual(config.rateLimits, {
      defaults: { perMinute: 60, burst: 10 },
      roles: { admin: { perMinute: 600, burst: 50 } },
      tools: {},
    });
  });

  test("allowed origins must be origins, allowed hosts host[:port]; no wildcard", async () => {
    await rejectsNaming(base({ MCP_ALLOWED_ORIGINS: "*" }), /MCP_ALLOWED_ORIGINS: '\*' is not an origin/);
    await rejectsNaming(
      base({ MCP_ALLOWED_ORIGINS: "https://ok.example,https://x.example/app" }),
      /MCP_ALLOWED_ORIGINS: 'https:\/\/x.example\/app' is not an origin/,
    );
    await rejectsNaming(base({ MCP_ALLOWED_HOSTS: "*.example.com" }), /MCP_ALLOWED_HOSTS/);
    const config = await loadConfig(
      base({ MCP_ALLOWED_ORIGINS: "https://console.example", MCP_ALLOWED_HOSTS: "mcp.bastion.svc:8080" }),
    );
    assert.ok(config.origins.origins.has("https://console.example"));
    assert.ok(config.origins.hosts.has("mcp.bastion.svc:8080"));
  });

  test("production needs https for the resource URL and a remote JWKS", async () => {
    await rejectsNaming(
      base({ NODE_ENV: "production" }),
      /MCP_RESOURCE_URL: must be set to an https URL in production/,
    );
    await rejectsNaming(
      {
        ...base({
          NODE_ENV: "production",
          MCP_RESOURCE_URL: "https://mcp.example/mcp",
          AUTH_JWKS_URL: "http://issuer.example/jwks",
        }),
        AUTH_JWKS_FILE: undefined,
      },
      /AUTH_JWKS_URL: must use https in production/,
    );
  });
});
