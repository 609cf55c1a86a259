import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { SettingsError, parseSettings, settingsSchema } from "../config.js";
import { SETTING_DESCRIPTIONS, pulumiConfigSchema } from "../config-docs.js";
import { PROJECT_ROOT } from "../offline/mock-run.js";
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
    const message = problemsOf({ ...minimal, mcpReplicas: 1, neo4jImage: "neo4j:5.26", authJwksUrl: "http://idp/jwks", mcpHost: "Not A Host" });
    for (const key of ["mcpReplicas", "neo4jImage: must be an image reference pinned by digest", "authJwksUrl", "mcpHost"]) assert.ok(message.includes(key), `${key} in ${message}`);
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
    for (const stack of ["aws", "local"]) {
      const file = parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
      const raw = Object.fromEntries(Object.entries(file.config).filter(([key]) => key.startsWith("mcp-bastion:")).map(([key, value]) => [key.slice("mcp-bastion:".length), value]));
      assert.equal(parseSettings(raw).platform, stack);
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
