// The shared rate-limit store's settings: TLS in production, the password only from a file,
// no store settings without the store's address, memory the default.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../src/config.js";

let dir: string;
let base: NodeJS.ProcessEnv;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-store-config-"));
  await writeFile(path.join(dir, "password"), "neo4j-password\n");
  await writeFile(path.join(dir, "store-password"), "store-password-0123456789\n");
  await writeFile(path.join(dir, "jwks.json"), JSON.stringify({ keys: [] }));
  base = {
    AUTH_ISSUER: "https://issuer.example",
    AUTH_JWKS_FILE: path.join(dir, "jwks.json"),
    NEO4J_URI: "bolt://127.0.0.1:7687",
    NEO4J_PASSWORD_FILE: path.join(dir, "password"),
  };
});
after(() => rm(dir, { recursive: true, force: true }));

const refused = (env: NodeJS.ProcessEnv, pattern: RegExp) =>
  assert.rejects(
    loadConfig({ ...base, ...env }),
    (error: Error) => error instanceof ConfigError && pattern.test(error.message),
  );

describe("the rate-limit store's settings", () => {
  test("memory unless a store is named; the password is read from its file", async () => {
    assert.equal((await loadConfig(base)).rateLimitStore, undefined);
    const config = await loadConfig({
      ...base,
      RATE_LIMIT_STORE_URL: "rediss://valkey.mcp-bastion.svc.cluster.local:6379",
      RATE_LIMIT_STORE_PASSWORD_FILE: path.join(dir, "store-password"),
    });
    assert.deepEqual(config.rateLimitStore, {
      url: "rediss://valkey.mcp-bastion.svc.cluster.local:6379",
      password: "store-password-0123456789",
      caFile: undefined,
    });
  });

  test("refuses credentials in the URL, a password in the environment, plain redis:// in production and store settings without a store", async () => {
    await refused(
      { RATE_LIMIT_STORE_URL: "rediss://user:pw@cache.example:6379" },
      /RATE_LIMIT_STORE_URL: must be redis:\/\/host\[:port\] or rediss:\/\/host\[:port\], without credentials/,
    );
    await refused(
      { RATE_LIMIT_STORE_URL: "rediss://cache.example:6379", RATE_LIMIT_STORE_PASSWORD: "x" },
      /RATE_LIMIT_STORE_PASSWORD: secrets are read from files/,
    );
    await refused(
      {
        NODE_ENV: "production",
        MCP_RESOURCE_URL: "https://mcp.example/mcp",
        AUTH_JWKS_FILE: undefined,
        AUTH_JWKS_URL: "https://issuer.example/jwks",
        RATE_LIMIT_STORE_URL: "redis://cache.example:6379",
      },
      /RATE_LIMIT_STORE_URL: must use rediss:\/\/ \(TLS\) in production/,
    );
    await refused(
      { RATE_LIMIT_STORE_PASSWORD_FILE: path.join(dir, "store-password") },
      /RATE_LIMIT_STORE_URL: is required with RATE_LIMIT_STORE_PASSWORD_FILE/,
    );
    await refused(
      { RATE_LIMIT_STORE_URL: "rediss://cache.example:6379", RATE_LIMIT_STORE_CA_FILE: path.join(dir, "password") },
      /RATE_LIMIT_STORE_CA_FILE: the file .* holds no PEM certificate/,
    );
  });
});
