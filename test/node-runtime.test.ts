// The suite runs on the image's Node.js major version, and so do the commands the tests start.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { PRODUCTION_NODE_MAJOR } from "./support/node-runtime.js";

test("the tests run on the image's Node.js", () => {
  assert.equal(Number(process.versions.node.split(".")[0]), PRODUCTION_NODE_MAJOR);
});

test("a node started by name from a test is the same one", () => {
  const started = spawnSync("node", ["-p", "process.versions.node"], { encoding: "utf8" });
  assert.equal(started.status, 0, started.stderr);
  assert.equal(started.stdout.trim(), process.versions.node);
});
