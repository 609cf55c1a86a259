// npm run deploy and npm run cluster refuse what they cannot do before they start the engine:
// each problem is named once, with its exit code. (The engine itself is driven end to end by
// infra/test/engine.test.ts.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", script), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    input: "",
    timeout: 120_000,
  });

describe("npm run deploy and npm run cluster, before the engine", () => {
  const work = mkdtempSync(path.join(tmpdir(), "mcp-bastion-deploy-cli-"));
  after(() => rmSync(work, { recursive: true, force: true }));
  // A cluster that refuses connections: nothing listens on port 1.
  const unreachable = path.join(work, "kubeconfig");
  writeFileSync(
    unreachable,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "gone", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "nobody", user: {} }],
      contexts: [{ name: "gone", context: { cluster: "gone", user: "nobody" } }],
      "current-context": "gone",
    }),
  );

  const cases: Array<{ args: string[]; code: number; says: RegExp; script?: string }> = [
    { args: ["--help"], code: 0, says: /^usage: npm run deploy -- preview\|up\|destroy\|outputs/ },
    { args: [], code: 2, says: /^a command is needed: preview, up, destroy or outputs \(usage: npm run deploy/ },
    { args: ["apply", "--stack", "local"], code: 2, says: /^unknown command "apply"/ },
    { args: ["up", "--stack", "local", "--force"], code: 2, says: /Unknown option '--force'/ },
    { args: ["preview"], code: 2, says: /^--stack NAME is required/ },
    { args: ["preview", "--stack", "../etc/passwd"], code: 2, says: /is not a stack name/ },
    {
      args: ["preview", "--stack", "nosuchstack"],
      code: 2,
      says: /there is no Pulumi\.nosuchstack\.yaml in the project root/,
    },
    {
      args: ["preview", "--stack", "local", "--kubeconfig", path.join(work, "missing")],
      code: 2,
      says: /--kubeconfig .*: no such file/,
    },
    {
      args: ["up", "--stack", "local", "--kubeconfig", unreachable],
      code: 2,
      says: /up changes the cluster: pass --yes/,
    },
    {
      args: ["preview", "--stack", "local", "--kubeconfig", unreachable],
      code: 1,
      says: /^deploy: cannot reach the cluster at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    },
    { script: "cluster.ts", args: ["--help"], code: 0, says: /^usage: npm run cluster/ },
    { script: "cluster.ts", args: ["--stack", "Bad_Name"], code: 2, says: /is not a stack name/ },
    { script: "cluster.ts", args: ["--stack", "local"], code: 2, says: /Pulumi\.local\.yaml exists already/ },
  ];
  for (const { script = "deploy.ts", args, code, says } of cases) {
    it(`${script.replace(".ts", "")} ${args.join(" ") || "(nothing)"}: exit ${code}`, () => {
      const result = run(script, ...args.map((arg) => arg.replace(work, work)));
      const text = code === 0 ? result.stdout : result.stderr;
      assert.equal(result.status, code, result.stdout + result.stderr);
      assert.match(text, says);
      if (code !== 0)
        assert.ok(text.trim().split("\n").length <= 2, `the problem is named once, not with the whole usage:\n${text}`);
    });
  }
});
