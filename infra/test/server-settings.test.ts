// The server's own settings as stack settings: each reaches the server's ConfigMap in the form
// the server reads, bad values stop the stack naming the key, and a changed setting changes the
// pod template's checksum, so the pods roll.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadConfig } from "../../app/src/config.js";
import { kitObjects, type DeployValues, type KubeObject } from "../charts/index.js";
import { SettingsError, parseSettings } from "../config.js";
import { manifestsOf } from "../offline/manifests.js";
import { runProgram } from "../offline/mock-run.js";
import { find, podTemplate, type Json } from "./support/objects.js";
import { MINIMAL_LOCAL_SETTINGS } from "./support/settings.js";

const deploy: DeployValues = {
  mcpImage: `registry.example/mcp@sha256:${"b".repeat(64)}`,
  bucket: "backups",
  s3Region: "us-east-1",
  s3Endpoint: "http://minio:9000",
};
const objects = (overrides: Record<string, unknown> = {}): KubeObject[] => {
  const { platform, workloads } = kitObjects(parseSettings({ ...MINIMAL_LOCAL_SETTINGS, ...overrides }), deploy);
  return [...platform, ...workloads];
};
const serverConfig = (list: KubeObject[]) =>
  find(list, "ConfigMap", "mcp-server-config").data as Record<string, string>;
const checksum = (list: KubeObject[]) =>
  (podTemplate(find(list, "Deployment", "mcp-server")).metadata.annotations as Record<string, string>)[
    "checksum/config"
  ];

function problemsOf(overrides: Record<string, unknown>): string {
  try {
    parseSettings({ ...MINIMAL_LOCAL_SETTINGS, ...overrides });
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    return error.message;
  }
  assert.fail("the settings were accepted");
}

const TUNED = {
  mcpAllowedOrigins: ["https://console.example.org"],
  rateLimitPerMinute: 120,
  rateLimitBurst: 20,
  rateLimitRoles: ["admin=600/50"],
  rateLimitTools: ["fetch_url=30/5"],
  lockoutMaxFailures: 3,
  fetchAllowHosts: ["api.example.org", ".docs.example.org"],
  fetchAllowedPorts: ["443", "8443"],
  filesBaseDir: "/srv/files",
  toolTimeoutMs: 5000,
  logLevel: "warn",
  otelEndpoint: "http://otel-collector.observability.svc:4318",
  otelEgressNamespace: "observability",
};

describe("the server's settings as stack settings", () => {
  const work = mkdtempSync(join(tmpdir(), "mcp-bastion-settings-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("writes each tuned setting into the ConfigMap in the form the server itself accepts", async () => {
    const data = serverConfig(objects(TUNED));
    assert.equal(data.RATE_LIMIT_PER_MINUTE, "120");
    assert.deepEqual(JSON.parse(data.RATE_LIMIT_OVERRIDES ?? "{}"), {
      roles: { admin: { perMinute: 600, burst: 50 } },
      tools: { fetch_url: { perMinute: 30, burst: 5 } },
    });
    assert.equal(data.FETCH_ALLOW_HOSTS, "api.example.org,.docs.example.org");
    // The server's own loader reads the ConfigMap as the pod would (the mounted files stand in here).
    const passwordFile = join(work, "password");
    writeFileSync(passwordFile, "neo4j-password-for-the-test\n");
    const env: Record<string, string> = { ...data, NEO4J_PASSWORD_FILE: passwordFile };
    delete env.NEO4J_CA_FILE;
    const config = await loadConfig(env);
    assert.deepEqual(config.rateLimits, {
      defaults: { perMinute: 120, burst: 20 },
      roles: { admin: { perMinute: 600, burst: 50 } },
      tools: { fetch_url: { perMinute: 30, burst: 5 } },
    });
    assert.equal(config.lockout.maxFailures, 3);
    assert.deepEqual([...config.fetch.policy.ports], [443, 8443]);
    assert.deepEqual(config.fetch.policy.allowedHosts, ["api.example.org", ".docs.example.org"]);
    assert.equal(config.files.baseDir, "/srv/files");
    assert.equal(config.tools.timeoutMs, 5000);
    assert.equal(config.logLevel, "warn");
    assert.ok(config.origins.origins.has("https://console.example.org"));
    assert.deepEqual(config.telemetry, {
      endpoint: "http://otel-collector.observability.svc:4318",
      serviceName: "mcp-server",
    });
  });

  it("refuses bad values at once, naming each key", () => {
    const message = problemsOf({
      rateLimitTools: ["fetch_urls=30/5"],
      rateLimitRoles: ["admin=600", "root=1/1"],
      mcpAllowedOrigins: ["https://console.example.org/path"],
      fetchAllowedCidrs: ["10.0.0.0"],
      filesBaseDir: "srv/files",
      logLevel: "loud",
    });
    for (const expected of [
      "rateLimitTools: no tool is called fetch_urls",
      "rateLimitRoles.0: must be role=perMinute/burst, such as admin=600/50",
      "rateLimitRoles: no role is called root",
      "mcpAllowedOrigins.0: must be an origin",
      "fetchAllowedCidrs.0: must be a CIDR",
      "filesBaseDir: must be an absolute path",
      "logLevel:",
    ])
      assert.ok(message.includes(expected), `${expected} in ${message}`);
    // The rules across settings, once every value is of its kind.
    const crossing = problemsOf({
      rateLimitStore: "external",
      otelEndpoint: "http://collector.observability.svc:4318",
    });
    for (const expected of [
      "rateLimitStoreUrl: is required with rateLimitStore external",
      "rateLimitStoreEgressCidrs: is required with rateLimitStore external",
      "otelEgressNamespace: set otelEgressNamespace or otelEgressCidrs with otelEndpoint",
    ])
      assert.ok(crossing.includes(expected), `${expected} in ${crossing}`);
    assert.match(problemsOf({ rateLimitStore: "valkey" }), /valkeyImage: is required with rateLimitStore valkey/);
    assert.match(
      problemsOf({ rateLimitStoreUrl: "rediss://cache.example.org:6379" }),
      /rateLimitStoreUrl: applies only with rateLimitStore external/,
    );
    assert.match(
      problemsOf({
        rateLimitStore: "external",
        rateLimitStoreUrl: "redis://cache.example.org:6379",
        rateLimitStoreEgressCidrs: ["10.0.0.0/24"],
      }),
      /rateLimitStoreUrl: must be rediss:\/\//,
    );
    assert.match(problemsOf({ rateLimitBurstt: 3 }), /unknown setting\(s\) rateLimitBurstt/);
  });

  it("opens exactly the collector's namespace and port when telemetry is on, and nothing when it is off", () => {
    const policies = (list: KubeObject[]) =>
      list.filter((object) => object.kind === "NetworkPolicy").map((object) => object.metadata.name);
    assert.ok(!policies(objects()).includes("mcp-server-to-otel-collector"));
    assert.equal(serverConfig(objects()).OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
    const on = objects({
      otelEndpoint: "http://otel-collector.observability.svc:4318",
      otelEgressNamespace: "observability",
      otelSamplePercent: 25,
    });
    const egress = (find(on, "NetworkPolicy", "mcp-server-to-otel-collector").spec as { egress: Json[] }).egress;
    assert.deepEqual(egress, [
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } }],
        ports: [{ protocol: "TCP", port: 4318 }],
      },
    ]);
    assert.deepEqual(
      (find(on, "NetworkPolicy", "backup-to-otel-collector").spec as { egress: Json[] }).egress,
      egress,
      "the backup job reaches the same collector, nothing more",
    );
    assert.ok(!policies(objects()).includes("backup-to-otel-collector"));
    assert.equal(
      (find(on, "ConfigMap", "neo4j-backup-config").data as Record<string, string>).OTEL_SERVICE_NAME,
      "neo4j-backup",
    );
    const data = serverConfig(on);
    assert.equal(data.OTEL_EXPORTER_OTLP_ENDPOINT, "http://otel-collector.observability.svc:4318");
    assert.equal(data.OTEL_TRACES_SAMPLER, "parentbased_traceidratio");
    assert.equal(data.OTEL_TRACES_SAMPLER_ARG, "0.25");
  });

  it("wires the Valkey store: its address over TLS, its password as a file, the kit's CA", () => {
    const list = objects({ rateLimitStore: "valkey", valkeyImage: `registry.example/valkey@sha256:${"c".repeat(64)}` });
    const data = serverConfig(list);
    assert.equal(data.RATE_LIMIT_STORE_URL, "rediss://valkey.mcp-bastion.svc.cluster.local:6379");
    assert.match(data.RATE_LIMIT_STORE_PASSWORD_FILE ?? "", /^\/var\/run\/secrets\/.+\/password$/);
    assert.equal(data.RATE_LIMIT_STORE_CA_FILE, data.NEO4J_CA_FILE);
    for (const value of Object.values(data)) assert.doesNotMatch(value, /requirepass|user default/);
  });
});

describe("the pod template's checksum of the server's ConfigMap (Pulumi mocks)", () => {
  it("changes with a changed setting, and only then", async () => {
    // One after the other: the mocks are the process's own.
    const first = manifestsOf(await runProgram("local"));
    const again = manifestsOf(await runProgram("local"));
    const changed = manifestsOf(await runProgram("local", { rateLimitPerMinute: 90 }));
    assert.match(checksum(first) ?? "", /^[a-f0-9]{64}$/);
    assert.equal(checksum(again), checksum(first), "the same settings give the same checksum: no needless roll");
    assert.equal(serverConfig(changed).RATE_LIMIT_PER_MINUTE, "90");
    assert.notEqual(serverConfig(changed).RATE_LIMIT_PER_MINUTE, serverConfig(first).RATE_LIMIT_PER_MINUTE);
    assert.notEqual(
      checksum(changed),
      checksum(first),
      "a changed ConfigMap changes the pod template, so the pods roll",
    );
  });
});
