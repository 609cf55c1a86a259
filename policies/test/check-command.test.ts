// `npm run check`: every example stack passes with zero violations; hostile manifests fail with
// one line per violation; bad arguments are refused.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { EXAMPLE_STACKS } from "../../infra/offline/mock-run.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const check = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "check.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });

describe("npm run check", () => {
  const work = mkdtempSync(join(tmpdir(), "mcp-bastion-check-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  it("passes every example stack, mocked run and synthesized manifests, with zero violations", () => {
    const result = check();
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.equal(result.stdout.trim(), "");
    for (const stack of EXAMPLE_STACKS) {
      assert.match(result.stderr, new RegExp(`${stack} \\(mocked run\\): 0 violation\\(s\\) in \\d+ resources`));
      assert.match(
        result.stderr,
        new RegExp(`${stack} \\(dist/manifests/${stack}\\): 0 violation\\(s\\) in [1-9]\\d+ resources`),
      );
    }
  });

  it("fails hostile manifests with one line per violation: rule, resource, problem, fix", () => {
    writeFileSync(
      join(work, "hostile.yaml"),
      [
        "apiVersion: v1",
        "kind: List",
        "items:",
        "  - apiVersion: v1",
        "    kind: Pod",
        "    metadata: {name: miner, namespace: kit}",
        "    spec:",
        "      hostPID: true",
        "      containers: [{name: x, image: 'miner:latest'}]",
        "---",
        "apiVersion: v1",
        "kind: Service",
        "metadata: {name: db, namespace: kit}",
        "spec: {type: NodePort, selector: {app: nothing}}",
        "",
      ].join("\n"),
    );
    writeFileSync(join(work, "broken.json"), "{ not json");
    const result = check("--manifests", work);
    assert.equal(result.status, 1);
    const lines = result.stdout.trim().split("\n");
    assert.ok(
      lines.every((line) => /^[a-z0-9-]+: .+: .+\. Fix: .+$/.test(line)),
      lines.join("\n"),
    );
    for (const expected of [
      /^no-host-access: .*Pod kit\/miner: spec.hostPID is true/m,
      /^images-by-digest: .*miner:latest/m,
      /^no-node-port-or-load-balancer: .*Service kit\/db/m,
      /^service-selects-workload: .*Service kit\/db/m,
      /^readable-manifest: .*broken.json/m,
    ]) {
      assert.match(result.stdout, expected);
    }
  });

  it("refuses an unknown stack or option with exit code 2", () => {
    assert.equal(check("--stack", "prod").status, 2);
    assert.equal(check("--frobnicate").status, 2);
  });
});
