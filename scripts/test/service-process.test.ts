// A service that fails to start says why in the error itself: the end of its output and its
// exit code, since the log file may be removed with its directory by the cleanup that follows.
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { startServiceProcess } from "../dev-services/service-process.js";
import { cleanUpAndRethrow } from "../dev-services/toolchain.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-service-process-"));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Processes whose command line is `command` exactly. */
async function pidsRunning(command: string): Promise<number> {
  let found = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").filter(Boolean).join(" ") === command) found += 1;
  }
  return found;
}

const exitsWith = (script: string) => ({
  command: "sh",
  args: ["-c", script],
  ready: { probe: async () => undefined },
  timeoutMs: 30_000,
});

it("quotes the last output and the exit code of a process that dies during start-up", async () => {
  const logFile = path.join(dir, "dies.log");
  await assert.rejects(
    startServiceProcess({
      name: "dies",
      logFile,
      ...exitsWith(
        "i=0; while [ $i -lt 500 ]; do echo noise $i; i=$((i+1)); done; echo 'bind: invalid argument' >&2; exit 3",
      ),
    }),
    (error: Error) => {
      assert.match(error.message, /^dies exited during start-up \(code 3\); see .*dies\.log/);
      assert.match(error.message, /its last output:\n[\s\S]*bind: invalid argument$/);
      // Only the end: the first lines are not repeated in the error.
      assert.doesNotMatch(error.message, /noise 0\n/);
      assert.ok(error.message.length < 2_300, `${error.message.length} characters`);
      return true;
    },
  );
  assert.match(await readFile(logFile, "utf8"), /noise 0\n[\s\S]*bind: invalid argument/);
});

it("quotes the last output of a process that is not ready in time, stops it and stops probing it", async () => {
  let probes = 0;
  await assert.rejects(
    startServiceProcess({
      name: "slow",
      logFile: path.join(dir, "slow.log"),
      ...exitsWith("echo 'waiting for a lock'; exec sleep 61"),
      ready: {
        probe: async () => {
          probes += 1;
          return undefined;
        },
      },
      timeoutMs: 1_000,
    }),
    (error: Error) => {
      assert.match(
        error.message,
        /^slow did not become ready within 1000 ms; see .*slow\.log\nits last output:\nwaiting for a lock$/,
      );
      return true;
    },
  );
  assert.equal(await pidsRunning("sleep 61"), 0, "the process that was not ready is stopped");
  const probesAfterStop = probes;
  await delay(1_000);
  assert.ok(probesAfterStop > 0);
  assert.equal(probes, probesAfterStop, "a stopped process is probed no more");
});

it("keeps a failed start's error when cleaning up after it fails as well", async () => {
  const cause = new Error("kubelet exited during start-up (code 1)");
  await assert.rejects(
    cleanUpAndRethrow(cause, async () => undefined),
    (error) => error === cause,
  );
  await assert.rejects(
    cleanUpAndRethrow(cause, async () => {
      throw new Error("EBUSY: resource busy or locked, rmdir 'root'");
    }),
    (error: AggregateError) => {
      assert.match(
        error.message,
        /^kubelet exited during start-up \(code 1\)\n\(cleaning up after it failed too: EBUSY: resource busy/,
      );
      assert.equal(error.errors[0], cause);
      return true;
    },
  );
});
