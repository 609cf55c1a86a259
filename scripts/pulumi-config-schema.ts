// Rewrites the `config:` block of Pulumi.yaml from the stack settings schema (infra/config.ts)
// and their descriptions (infra/config-docs.ts). `--check` exits 1 when Pulumi.yaml is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { pulumiConfigSchema } from "../infra/config-docs.js";
import { runMain } from "./lib/cli.js";

const PROJECT_FILE = new URL("../Pulumi.yaml", import.meta.url);

runMain(async () => {
  const document = parseDocument(readFileSync(PROJECT_FILE, "utf8"));
  document.set("config", pulumiConfigSchema());
  const wanted = JSON.stringify(document.toJS().config);
  if (process.argv.includes("--check")) {
    if (JSON.stringify(parseDocument(readFileSync(PROJECT_FILE, "utf8")).toJS().config ?? null) !== wanted) {
      console.error("Pulumi.yaml's config block is stale: run npm run config:schema");
      return 1;
    }
    return 0;
  }
  writeFileSync(PROJECT_FILE, document.toString({ lineWidth: 0 }));
  console.log("Pulumi.yaml: config block written");
  return 0;
});
