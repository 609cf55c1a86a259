// A bad environment is told all at once, one line per bad setting, each naming the variable and
// what is wrong in plain words: never the validator's own wording.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config.js";

// What zod says when a schema leaves the wording to it.
const VALIDATOR_WORDING =
  /Too small|Too big|Invalid input|Invalid option|Invalid URL|Invalid string|Invalid value|Unrecognized key|expected \w+, received|[<>]=\d/;

let dir: string;
let passwordFile: string;
let jwksFile: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-config-problems-"));
  process.env.MCP_BASTION_DEV_KEYS_DIR = path.join(dir, "dev-keys");
  passwordFile = path.join(dir, "password");
  jwksFile = path.join(dir, "jwks.json");
  await writeFile(passwordFile, "s3cret-password\n");
  await writeFile(jwksFile, JSON.stringify({ keys: [] }));
});

function base(): NodeJS.ProcessEnv {
  return {
    AUTH_ISSUER: "https://issuer.example",
    AUTH_JWKS_FILE: jwksFile,
    NEO4J_URI: "bolt://127.0.0.1:7687",
    NEO4J_PASSWORD_FILE: passwordFile,
  };
}

/** The problem lines of the ConfigError `env` is refused with. */
async function problemsOf(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    await loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    const [heading, ...lines] = error.message.split("\n");
    assert.equal(heading, "invalid configuration:");
    return lines.map((line) => line.trim());
  }
  assert.fail("the environment was accepted");
}

interface Case {
  name: string;
  /** Each bad variable with the one line expected for it. */
  bad: Record<string, [value: string | undefined, problem: string | undefined]>;
}

const cases: Case[] = [
  {
    name: "numbers out of range, not numbers, not whole",
    bad: {
      MCP_PORT: ["99999", "MCP_PORT: must be at most 65535"],
      LOCKOUT_MAX_FAILURES: ["zero", "LOCKOUT_MAX_FAILURES: must be a number"],
      RATE_LIMIT_BURST: ["0", "RATE_LIMIT_BURST: must be at least 1"],
      RATE_LIMIT_PER_MINUTE: ["0", "RATE_LIMIT_PER_MINUTE: must be more than 0"],
      AUTH_CLOCK_SKEW_SECONDS: ["2.5", "AUTH_CLOCK_SKEW_SECONDS: must be a whole number"],
      SANDBOX_MEMORY_MB: ["1", "SANDBOX_MEMORY_MB: must be at least 32"],
    },
  },
  {
    name: "choices, URLs, lists and text",
    bad: {
      NODE_ENV: ["staging", 'NODE_ENV: must be one of "production", "development", "test"'],
      MCP_RESOURCE_URL: ["ftp://mcp.example/mcp", "MCP_RESOURCE_URL: must be an http:// or https:// URL"],
      SANDBOX_URL: ["ftp://sandbox.example", "SANDBOX_URL: must be an http:// or https:// URL"],
      MCP_HOST: ["", "MCP_HOST: must not be empty"],
      FETCH_ALLOWED_PORTS: ["80,70000", "FETCH_ALLOWED_PORTS entry 2: must be at most 65535"],
      AUTH_ALGORITHMS: [
        "ES256,HS256",
        'AUTH_ALGORITHMS entry 2: must be one of "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"',
      ],
      FETCH_CONTENT_TYPES: [" , ", "FETCH_CONTENT_TYPES: must list at least one entry"],
      OTEL_EXPORTER_OTLP_PROTOCOL: [
        "grpc",
        "OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf, the one protocol this server exports",
      ],
      SANDBOX_NETWORK_ISOLATION: ["none", 'SANDBOX_NETWORK_ISOLATION: must be one of "namespace", "network-policy"'],
    },
  },
  {
    name: "addresses, origins and JSON the guards parse",
    bad: {
      FETCH_ALLOWED_CIDRS: ["10.0.0.0", "FETCH_ALLOWED_CIDRS: '10.0.0.0' is not a CIDR range"],
      MCP_TRUSTED_PROXIES: [
        "ingress-nginx",
        "MCP_TRUSTED_PROXIES: 'ingress-nginx' is neither an address nor a CIDR range",
      ],
      MCP_ALLOWED_ORIGINS: ["*", "MCP_ALLOWED_ORIGINS: '*' is not an origin (scheme://host[:port])"],
      RATE_LIMIT_OVERRIDES: [
        JSON.stringify({ roles: { root: { perMinute: 1, burst: 1 } } }),
        "RATE_LIMIT_OVERRIDES at roles: unknown key(s) root",
      ],
      AUTH_GROUPS_CLAIM: [
        "a claim with spaces",
        "AUTH_GROUPS_CLAIM: must be a claim name (letters, digits, _ : . / -)",
      ],
      AUTH_GROUP_ROLES: [
        JSON.stringify({ ops: "root" }),
        'AUTH_GROUP_ROLES at ops: must be one of "guest", "readonly", "operator", "admin"',
      ],
    },
  },
  {
    name: "a rule across settings is judged beside bad settings, once the settings it reads are valid",
    bad: {
      METRICS_PORT: ["70000", "METRICS_PORT: must be at most 65535"],
      MCP_TLS_CERT_FILE: [
        "/etc/tls/tls.crt",
        "MCP_TLS_KEY_FILE: set both MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE, or neither",
      ],
      // The staleness rule reads the interval, which is itself bad: only the interval is named.
      SECURITY_SYNC_INTERVAL_MS: ["often", "SECURITY_SYNC_INTERVAL_MS: must be a number"],
      SECURITY_MAX_STALENESS_MS: ["200", undefined],
    },
  },
  {
    name: "required settings missing, secrets in the environment, files that cannot be read",
    bad: {
      AUTH_ISSUER: [undefined, "AUTH_ISSUER: is required"],
      NEO4J_URI: [undefined, "NEO4J_URI: is required"],
      NEO4J_PASSWORD: ["plain", "NEO4J_PASSWORD: secrets are read from files; set NEO4J_PASSWORD_FILE instead"],
      RATE_LIMIT_STORE_PASSWORD: [
        "plain",
        "RATE_LIMIT_STORE_PASSWORD: secrets are read from files; set RATE_LIMIT_STORE_PASSWORD_FILE instead",
      ],
      NEO4J_CA_FILE: ["/nonexistent/ca.pem", "NEO4J_CA_FILE: cannot read the file /nonexistent/ca.pem (ENOENT)"],
    },
  },
];

describe("a bad environment names every bad setting at once, in plain words", () => {
  for (const { name, bad } of cases) {
    test(name, async () => {
      const env = base();
      for (const [key, [value]] of Object.entries(bad)) env[key] = value;
      const problems = await problemsOf(env);
      const expected = Object.values(bad).flatMap(([, problem]) => problem ?? []);
      assert.deepEqual([...problems].sort(), [...expected].sort());
      for (const problem of problems) assert.doesNotMatch(problem, VALIDATOR_WORDING);
    });
  }

  test("the cases together: one line for each bad setting of every case", async () => {
    const env = base();
    const expected: string[] = [];
    for (const { bad } of cases) {
      for (const [key, [value, problem]] of Object.entries(bad)) {
        env[key] = value;
        if (problem) expected.push(problem);
      }
    }
    const problems = await problemsOf(env);
    assert.deepEqual([...problems].sort(), expected.sort());
    for (const problem of problems) assert.doesNotMatch(problem, VALIDATOR_WORDING);
  });
});
