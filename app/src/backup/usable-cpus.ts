// How many CPUs this process may use: the machine's, or fewer under a cgroup CPU quota (a
// container's CPU limit), which Node's availableParallelism() does not see.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** The cgroup files that state a CPU quota: v2's cpu.max ("max 100000", "150000 100000"), or v1's quota and period. */
export interface CpuQuotaFiles {
  cpuMax?: string;
  cfsQuotaUs?: string;
  cfsPeriodUs?: string;
}

/** CPUs usable with `cpus` on the machine and these quota files: the quota rounded up, at least 1. */
export function cpusUnderQuota(files: CpuQuotaFiles, cpus: number): number {
  let quota: number | undefined;
  const [max, period] = files.cpuMax?.trim().split(/\s+/) ?? [];
  if (max !== undefined && max !== "max" && Number(period) > 0) quota = Number(max) / Number(period);
  else if (Number(files.cfsQuotaUs) > 0 && Number(files.cfsPeriodUs) > 0)
    quota = Number(files.cfsQuotaUs) / Number(files.cfsPeriodUs);
  return quota === undefined || !Number.isFinite(quota) ? cpus : Math.max(1, Math.min(cpus, Math.ceil(quota)));
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

export function usableCpus(): number {
  const files: CpuQuotaFiles = {};
  const cpuMax = read("/sys/fs/cgroup/cpu.max");
  const cfsQuotaUs = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  const cfsPeriodUs = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  if (cpuMax !== undefined) files.cpuMax = cpuMax;
  if (cfsQuotaUs !== undefined) files.cfsQuotaUs = cfsQuotaUs;
  if (cfsPeriodUs !== undefined) files.cfsPeriodUs = cfsPeriodUs;
  return cpusUnderQuota(files, availableParallelism());
}
