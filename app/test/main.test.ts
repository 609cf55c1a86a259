import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { it } from "node:test";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

it("refuses a command it does not know, before reading any configuration", () => {
  const result = spawnSync(process.execPath, ["--import", "tsx", MAIN, "frobnicate"], {
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown command "frobnicate"; commands: serve, backup/);
});
