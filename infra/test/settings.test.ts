import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { SettingsError, parseSettings, settingsSchema } from "../config.js";
import { SETTING_DESCRIPTIONS, pulumiConfigSchema } from "../config-docs.js";
import { EXAMPLE_STACKS, PROJECT_ROOT } from "../offline/mock-run.js";
import { settingsFromConfig, type ConfigEntry } from "../read-settings.js";
import { MINIMAL_LOCAL_SETTINGS } from "./support/settings.js";

const minimal = { ...MINIMAL_LOCAL_SETTINGS };

function problemsOf(raw: Record<string, unknown>): string {
  try {
    parseSettings(raw);
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    return error.message;
  }
  assert.fail("the settings were accepted");
}

describe("stack settings", () => {
  it("fills every default for a minimal local stack", () => {
    const settings = parseSettings(minimal);
    assert.equal(settings.namespace, "mcp-bastion");
    assert.equal(settings.mcpReplicas, 2);
    assert.equal(settings.meshEnabled, true);
    assert.match(settings.neo4jImage, /@sha256:[a-f0-9]{64}$/);
  });

  it("names every bad key at once", () => {
    const message = problemsOf({
      ...minimal,
      mcpReplicas: 1,
      neo4jImage: "neo4j:5.26",
      authJwksUrl: "http://idp/jwks",
      mcpHost: "Not A Host",
    });
    for (const key of [
      "mcpReplicas",
      "neo4jImage: must be an image reference pinned by digest",
      "authJwksUrl",
      "mcpHost",
    ])
      assert.ok(message.includes(key), `${key} in ${message}`);
  });

  it("refuses unknown keys, so a typo never passes silently", () => {
    assert.match(problemsOf({ ...minimal, meshEnable: false }), /unknown setting\(s\) meshEnable/);
  });

  it("requires the OIDC provider and the S3 egress ranges on aws, and an e-mail for ACME", () => {
    const message = problemsOf({ ...minimal, platform: "aws", publicIssuer: "acme" });
    assert.match(message, /awsOidcProviderArn: is required on the aws platform/);
    assert.match(message, /backupS3EgressCidrs: is required on the aws platform/);
    assert.match(message, /acmeEmail: is required when publicIssuer is acme/);
  });

  it("requires a registry for the local build unless an image is pinned", () => {
    const withoutRegistry: Record<string, unknown> = { ...minimal };
    delete withoutRegistry.imageRepository;
    assert.match(problemsOf(withoutRegistry), /imageRepository: is required on the local platform/);
    parseSettings({ ...withoutRegistry, imageRef: `registry.example/mcp@sha256:${"a".repeat(64)}` });
  });

  it("documents every setting, and Pulumi.yaml declares exactly the schema's keys, types and defaults", () => {
    assert.deepEqual(Object.keys(SETTING_DESCRIPTIONS).sort(), Object.keys(settingsSchema.shape).sort());
    const project = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { config: unknown };
    assert.deepEqual(project.config, pulumiConfigSchema(), "Pulumi.yaml is stale: run npm run config:schema");
  });

  it("keeps the example stacks valid", () => {
    for (const stack of EXAMPLE_STACKS) {
      const file = parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
      };
      const raw = Object.fromEntries(
        Object.entries(file.config)
          .filter(([key]) => key.startsWith("mcp-bastion:"))
          .map(([key, value]) => [key.slice("mcp-bastion:".length), value]),
      );
      assert.equal(parseSettings(raw).platform, stack === "aws" ? "aws" : "local");
    }
  });
});

describe("resource settings", () => {
  it("refuses a request above its limit and memory that is not whole Mi or Gi", () => {
    const message = problemsOf({ ...minimal, mcpCpuRequest: "2", mcpCpuLimit: "500m", neo4jMemoryLimit: "1.5Gi" });
    assert.match(message, /mcpCpuRequest: must not exceed mcpCpuLimit \(500m\)/);
    assert.match(message, /neo4jMemoryLimit: must be a whole number of Mi or Gi/);
  });
});

describe("credentials kept as stack settings", () => {
  const entries = (values: Record<string, unknown>, secrets: Record<string, string> = {}): ConfigEntry[] => [
    ...Object.entries(values).map(([key, value]) => ({
      key: `mcp-bastion:${key}`,
      value: typeof value === "string" ? value : JSON.stringify(value),
      secret: false,
    })),
    ...Object.entries(secrets).map(([key, value]) => ({ key: `mcp-bastion:${key}`, value, secret: true })),
  ];
  const problemsFrom = (list: ConfigEntry[]): string => {
    try {
      settingsFromConfig(list, "mcp-bastion");
    } catch (error) {
      assert.ok(error instanceof SettingsError);
      return error.message;
    }
    assert.fail("the settings were accepted");
  };

  it("takes them only as secrets, and never repeats a value in the message", () => {
    const password = "plain-text-password-in-the-file";
    const message = problemsFrom(entries({ ...minimal, neo4jPassword: password }));
    assert.match(
      message,
      /neo4jPassword: must be a secret in the stack file \(pulumi config set --secret neo4jPassword\)/,
    );
    assert.ok(!message.includes(password), message);
    const settings = settingsFromConfig(entries(minimal, { neo4jPassword: password }), "mcp-bastion");
    assert.equal(settings.neo4jPassword, password);
  });

  it("names every problem at once: an unreadable number, a plain credential, a schema rule, an unknown key", () => {
    const message = problemsFrom([
      ...entries({ ...minimal, objectStoreAccessKeyId: "plainaccesskey1", meshEnable: "false" }),
      { key: "mcp-bastion:mcpReplicas", value: "two", secret: false },
      { key: "mcp-bastion:neo4jPassword", value: "short", secret: true },
    ]);
    for (const part of [
      "mcpReplicas: is not a valid number",
      "objectStoreAccessKeyId: must be a secret",
      "objectStoreSecretAccessKey: is required with the other object store key",
      "neo4jPassword: must be 16 to 256 printable characters",
      "unknown setting(s) meshEnable",
    ]) {
      assert.ok(message.includes(part), `${part} in ${message}`);
    }
    assert.equal(message.match(/mcpReplicas/g)?.length, 1, "a value that cannot be read is named once");
  });

  it("refuses object store keys on aws, where the backup uses its IAM role", () => {
    const aws = {
      ...minimal,
      platform: "aws",
      awsOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X",
      backupS3EgressCidrs: ["10.0.0.0/16"],
    };
    const message = problemsFrom(
      entries(aws, {
        objectStoreAccessKeyId: "vaultaccesskey01",
        objectStoreSecretAccessKey: "vault-object-store-secret-0123456789",
      }),
    );
    assert.match(message, /objectStoreAccessKeyId: applies only to the local platform/);
  });
});
