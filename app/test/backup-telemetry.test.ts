// The backup job's S3 transfers as spans in a real OpenTelemetry Collector: one trace for the
// run, a span per S3 command under it, and no credential in anything the collector received.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startCollector, type CollectorInstance } from "../../scripts/dev-services/otel-collector.js";
import { neo4jAccess, s3Access } from "../../test/support/service-env.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: Array<{ key: string; value: { stringValue?: string; intValue?: string } }>;
}

let dir: string;
let collector: CollectorInstance;
let status: number | null = null;
let received = "";
const bucket = `traced-backup-${Date.now().toString(36)}`;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-backup-telemetry-"));
  collector = await startCollector({ dir: path.join(dir, "collector"), logFile: path.join(dir, "collector.log") });
  const neo4j = neo4jAccess();
  const s3 = s3Access();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NEO4J_URI: neo4j.uri,
    NEO4J_PASSWORD_FILE: neo4j.passwordFile,
    S3_BUCKET: bucket,
    S3_PREFIX: "backups/",
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_FORCE_PATH_STYLE: "true",
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY_FILE: s3.secretAccessKeyFile,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
  };
  status = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "app/src/main.ts"), "backup", "--json"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("exit", (code) => resolve(code));
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !(received = await collector.received()).includes("s3 PutObject"))
    await new Promise((resolve) => setTimeout(resolve, 200));
});

after(async () => {
  await collector.process.stop();
  await rm(dir, { recursive: true, force: true });
});

const spansOf = (text: string): Span[] =>
  text
    .split("\n")
    .filter(Boolean)
    .flatMap((line) =>
      (
        (JSON.parse(line) as { resourceSpans?: Array<{ scopeSpans: Array<{ spans: Span[] }> }> }).resourceSpans ?? []
      ).flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)),
    );
const attribute = (span: Span, key: string) => span.attributes?.find((item) => item.key === key)?.value.stringValue;

describe("the backup's S3 transfers traced to a real collector", () => {
  test("one trace for the run, every S3 command a span under it, with its bucket and operation", () => {
    assert.equal(status, 0, "the backup succeeded");
    const spans = spansOf(received);
    const root = spans.find((span) => span.name === "backup");
    assert.ok(root, "the run's span");
    const s3 = spans.filter((span) => attribute(span, "rpc.service") === "S3");
    assert.ok(
      s3.some((span) => attribute(span, "rpc.method") === "PutObject"),
      "the manifest's PutObject",
    );
    for (const span of s3) {
      assert.equal(span.traceId, root.traceId, `${span.name} is in the run's trace`);
      assert.equal(span.parentSpanId, root.spanId);
      assert.equal(attribute(span, "aws.s3.bucket"), bucket);
    }
  });

  test("nothing the collector received holds the S3 secret key, its access key id or the Neo4j password", async () => {
    assert.ok(received.length > 200);
    const secretKey = s3Access().secretAccessKey;
    const password = (await readFile(neo4jAccess().passwordFile, "utf8")).trim();
    for (const secret of [secretKey, s3Access().accessKeyId, password])
      assert.ok(!received.includes(secret), "a credential was exported");
  });
});
