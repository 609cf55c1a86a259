// npm run sbom [-- --out FILE]
// Writes a CycloneDX SBOM (JSON) of the image's dependencies: the production tree of
// package-lock.json, which app/Dockerfile installs (npm ci, then npm prune --omit=dev).
// Exit codes: 0 written, 1 failed, 2 bad arguments.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseOptions, runMain } from "./lib/cli.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CYCLONEDX = path.join(ROOT, "node_modules", "@cyclonedx", "cyclonedx-npm", "bin", "cyclonedx-npm-cli.js");
const DEFAULT_OUT = path.join("dist", "sbom", "image.cdx.json");

const USAGE = `usage: npm run sbom [-- --out FILE]
Writes a CycloneDX SBOM of the image's dependencies (the lock's production tree).
  --out FILE  where to write it (default ${DEFAULT_OUT})
Exit codes: 0 written, 1 failed, 2 bad arguments.`;

runMain(async () => {
  const parsed = parseOptions({ out: { type: "string" } }, USAGE);
  if ("exitCode" in parsed) return parsed.exitCode;
  const out = path.resolve(parsed.values.out ?? path.join(ROOT, DEFAULT_OUT));
  mkdirSync(path.dirname(out), { recursive: true });
  const args = [
    "--omit",
    "dev",
    "--package-lock-only",
    "--output-reproducible",
    "--output-format",
    "JSON",
    "--output-file",
    out,
    path.join(ROOT, "package.json"),
  ];
  const run = spawnSync(process.execPath, [CYCLONEDX, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "pipe"],
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(run.stderr.trim() || `cyclonedx-npm exited ${run.status}`);
    return 1;
  }
  console.log(`SBOM of the image's dependencies written to ${path.relative(process.cwd(), out) || out}`);
  return 0;
});
