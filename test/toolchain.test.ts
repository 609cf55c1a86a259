// The install cache: a build happens once, also when several runs ask for it at the same time,
// and a lock left by a run that died does not block the next one.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { installOnce } from "../scripts/dev-services/toolchain.js";

describe("installOnce", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-install-"));
  after(() => rm(work, { recursive: true, force: true }));

  it("builds once for concurrent callers, and each gets the finished folder", async () => {
    const target = path.join(work, "tool-1");
    let builds = 0;
    const build = async (staging: string) => {
      builds += 1;
      await delay(300);
      await writeFile(path.join(staging, "bin"), "built");
    };
    const folders = await Promise.all([
      installOnce(target, build),
      installOnce(target, build),
      installOnce(target, build),
    ]);
    assert.equal(builds, 1);
    assert.deepEqual(folders, [target, target, target]);
    assert.equal(await readFile(path.join(target, "bin"), "utf8"), "built");
  });

  it("takes over the lock of a process that died, and leaves nothing half-built after a failed build", async () => {
    const target = path.join(work, "tool-2");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
      encoding: "utf8",
    }).stdout;
    await mkdir(`${target}.lock`);
    await writeFile(path.join(`${target}.lock`, "pid"), dead);
    await assert.rejects(
      installOnce(target, async () => Promise.reject(new Error("the build failed"))),
      /the build failed/,
    );
    await assert.rejects(readFile(path.join(target, "bin")), { code: "ENOENT" });
    await installOnce(target, async (staging) => writeFile(path.join(staging, "bin"), "second try"));
    assert.equal(await readFile(path.join(target, "bin"), "utf8"), "second try");
  });
});
