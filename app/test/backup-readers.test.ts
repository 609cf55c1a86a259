// The backup's reader count follows the CPUs the process may use, a container's CPU limit included.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";
import { defaultReaders } from "../src/backup/take-backup.js";
import { cpusUnderQuota, usableCpus } from "../src/backup/usable-cpus.js";

describe("usable CPUs", () => {
  it("reads a cgroup v2 or v1 quota, rounded up, never above the machine's CPUs or below one", () => {
    const cases: Array<[Parameters<typeof cpusUnderQuota>[0], number, number]> = [
      [{}, 8, 8],
      [{ cpuMax: "max 100000\n" }, 8, 8],
      [{ cpuMax: "100000 100000\n" }, 8, 1],
      [{ cpuMax: "150000 100000" }, 8, 2],
      [{ cpuMax: "50000 100000" }, 8, 1],
      [{ cpuMax: "800000 100000" }, 4, 4],
      [{ cfsQuotaUs: "-1\n", cfsPeriodUs: "100000\n" }, 8, 8],
      [{ cfsQuotaUs: "200000\n", cfsPeriodUs: "100000\n" }, 8, 2],
      [{ cfsQuotaUs: "garbage", cfsPeriodUs: "100000" }, 8, 8],
    ];
    for (const [files, cpus, expected] of cases)
      assert.equal(cpusUnderQuota(files, cpus), expected, JSON.stringify({ files, cpus }));
  });

  it("gives the backup one reader per usable CPU, up to two", () => {
    const cpus = usableCpus();
    assert.ok(cpus >= 1 && cpus <= availableParallelism(), String(cpus));
    assert.equal(defaultReaders(), Math.min(2, cpus));
  });
});
