// checkov, from PyPI, judges the synthesized manifests of both example stacks: zero failed
// checks, with the only exceptions listed (and reasoned) in infra/checkov-skips.txt.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCommand } from "../../scripts/dev-services/toolchain.js";
import { synthStack } from "./support/synth.js";
import { scanManifests } from "../../scripts/dev-services/checkov.js";
import { EXAMPLE_STACKS, PROJECT_ROOT } from "../offline/mock-run.js";

/** `CKV_K8S_n  reason` lines; a skip without a reason is refused. */
export function readSkips(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^(CKV2?_K8S_\d+)\s+(\S.*)$/.exec(line);
      if (!match?.[1]) throw new Error(`infra/checkov-skips.txt: "${line}" must be a check id followed by its reason`);
      return match[1];
    });
}

describe("checkov over the synthesized manifests", () => {
  const work = mkdtempSync(join(tmpdir(), "mcp-bastion-checkov-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  const skips = readSkips(readFileSync(join(PROJECT_ROOT, "infra", "checkov-skips.txt"), "utf8"));

  for (const stack of EXAMPLE_STACKS) {
    it(`reports no failed check for the ${stack} stack`, async () => {
      const out = join(work, stack);
      await synthStack(stack, out);
      assert.ok(readdirSync(out).length > 40, "the stack's objects were written");
      const report = await scanManifests(out, skips);
      const failures = report.failed.map(
        (failure) => `${failure.checkId} ${failure.checkName}: ${failure.resource} (${failure.file})`,
      );
      assert.deepEqual(failures, []);
      assert.ok(report.passed > 100, `checkov ran its checks (${report.passed} passed)`);
    });
  }

  it("fails a manifest that breaks the rules, so a clean report means something", async () => {
    const out = join(work, "hostile");
    await runCommand("mkdir", ["-p", out]);
    writeFileSync(
      join(out, "pod.yaml"),
      [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: hostile",
        "  namespace: mcp-bastion",
        "spec:",
        "  hostNetwork: true",
        "  containers:",
        "    - name: app",
        "      image: busybox:latest",
        "      securityContext:",
        "        privileged: true",
        "",
      ].join("\n"),
    );
    const report = await scanManifests(out);
    const failed = new Set(report.failed.map((failure) => failure.checkId));
    for (const check of ["CKV_K8S_16", "CKV_K8S_19", "CKV_K8S_43"])
      assert.ok(failed.has(check), `${check} fails (got ${[...failed].join(", ")})`);
  });

  it("refuses a skip without a reason", () => {
    assert.throws(() => readSkips("CKV_K8S_15\n"), /must be a check id followed by its reason/);
    assert.deepEqual(readSkips("# comment\nCKV_K8S_15  pulls by digest\n"), ["CKV_K8S_15"]);
  });
});
