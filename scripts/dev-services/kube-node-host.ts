// What a real node changes on the machine, and how all of it is put back: the Debian packages
// it needs (installed through apt when missing), the bridge that carries pod traffic and owns
// the node's address, the host sysctls the kubelet and the CNI bridge plugin set, and a record
// of all of it, so that a run that was killed is cleaned up by the next one before it starts.
import { mkdtemp, readFile, readdir, realpath, rm, writeFile, mkdir, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { PrerequisiteError, cacheRoot, runCommand } from "./toolchain.js";

/** The bridge pods attach to; its gateway address is the node's address. Nothing else uses these. */
export const NODE_NETWORK = {
  bridge: "mcpbastion0",
  podCidr: "10.244.0.0/24",
  gateway: "10.244.0.1",
  serviceCidr: "10.96.0.0/16",
  dnsServiceIp: "10.96.0.10",
} as const;

/** Host paths the kubelet and the CNI plugins hard-code; removed only when the run made them. */
const HOST_PATHS = ["/var/lib/kubelet", "/var/lib/cni", "/var/log/pods", "/var/log/containers", "/var/lib/kube-router"];

/**
 * Sysctls the kubelet (vm.*, kernel.*), the bridge plugin (ip_forward) and kube-proxy
 * (conntrack timeouts, route_localnet) may change; any that exists is put back as found.
 */
const SYSCTLS = [
  "vm/overcommit_memory",
  "kernel/panic",
  "kernel/panic_on_oops",
  "net/ipv4/ip_forward",
  "net/ipv4/conf/all/route_localnet",
  "net/bridge/bridge-nf-call-iptables",
  "net/netfilter/nf_conntrack_tcp_timeout_close_wait",
  "net/netfilter/nf_conntrack_tcp_timeout_established",
  "net/netfilter/nf_conntrack_max",
];

const PACKAGES: Array<{ binary: string; pkg: string }> = [
  { binary: "/usr/bin/containerd", pkg: "containerd" },
  { binary: "/usr/sbin/runc", pkg: "runc" },
  { binary: "/usr/bin/buildah", pkg: "buildah" },
  { binary: "/usr/lib/cni/bridge", pkg: "containernetworking-plugins" },
  { binary: "/usr/sbin/ipset", pkg: "ipset" },
  { binary: "/usr/sbin/conntrack", pkg: "conntrack" },
  { binary: "/usr/sbin/iptables", pkg: "iptables" },
  // The shell of the local base images and the network probe's tools.
  { binary: "/bin/busybox", pkg: "busybox-static" },
];

const exists = (file: string) =>
  readFile(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code === "EISDIR",
  );

/** Installs the node's Debian packages that are missing (root only; the node needs root anyway). */
export async function ensureNodePackages(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new PrerequisiteError("a real node needs root (network namespaces, mounts, cgroups, iptables)");
  const missing: string[] = [];
  for (const { binary, pkg } of PACKAGES) if (!(await exists(binary))) missing.push(pkg);
  if (missing.length === 0) return;
  process.stderr.write(`installing ${missing.join(", ")} with apt-get (first run only)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    await runCommand("apt-get", ["update"], { env });
    await runCommand("apt-get", ["install", "-y", "--no-install-recommends", ...missing], { env });
  } catch (error) {
    throw new PrerequisiteError(
      `installing ${missing.join(" ")} failed; install them with apt-get (Debian 12): ${(error as Error).message}`,
    );
  }
}

interface HostRecord {
  pid: number;
  workDir: string;
  /** The node's short directory for sockets (absent in records of older runs). */
  runDir?: string;
  sysctls: Record<string, string>;
  createdPaths: string[];
}

const recordFile = () => path.join(cacheRoot(), "node-host.json");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readSysctl(name: string): Promise<string> {
  return (await readFile(`/proc/sys/${name}`, "utf8")).trim();
}

/** Processes whose command line names the node's work directory: its containerd, shims and agents. */
async function processesUnder(workDir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(workDir)) found.push(pid);
  }
  return found;
}

async function killAll(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  for (let i = 0; i < 50 && pids.some(isAlive); i += 1) await delay(100);
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(given: string): Promise<string[]> {
  // The kernel lists mount points by their real path: a directory under a symlink is listed there.
  const dir = await realpath(given).catch(() => given);
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4]?.replace(/\\040/g, " "))
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 5; round += 1) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) await runCommand("umount", ["-l", point]).catch(() => undefined);
  }
}

/** The kubepods cgroups the kubelet made under every v1 controller (and the unified tree). */
async function kubepodsRoots(): Promise<string[]> {
  const controllers = await readdir("/sys/fs/cgroup").catch(() => []);
  const roots: string[] = [];
  for (const controller of controllers) {
    const root = path.join("/sys/fs/cgroup", controller, "kubepods");
    if (
      await readdir(root).then(
        () => true,
        () => false,
      )
    )
      roots.push(root);
  }
  return roots;
}

/** Every process in a pod's cgroup: containers whose shim is gone keep running otherwise. */
async function podProcesses(dir: string): Promise<number[]> {
  const own = (await readFile(path.join(dir, "cgroup.procs"), "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map(Number);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) own.push(...(await podProcesses(path.join(dir, entry.name))));
  return own;
}

async function removeKubepodsCgroups(): Promise<void> {
  for (const root of await kubepodsRoots()) {
    await killAll(await podProcesses(root));
    await removeCgroupTree(root);
  }
}

async function removeCgroupTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await removeCgroupTree(path.join(dir, entry.name));
  await rmdir(dir).catch(() => undefined);
}

async function linkExists(name: string): Promise<boolean> {
  return runCommand("ip", ["link", "show", name]).then(
    () => true,
    () => false,
  );
}

/** kube-proxy's and kube-router's iptables chains and ipsets; each program removes its own. */
export type ChainCleanup = () => Promise<void>;

const TABLES = ["filter", "nat", "mangle", "raw"];
/** Chains and sets of kube-proxy (KUBE-*) and kube-router (KUBE-*, kube-router-*): only this node makes them on the machine. */
const OWN_CHAIN = /^KUBE-/;
const OWN_SET = /^(KUBE-|kube-router-)/;

/** Removes the node's iptables rules, chains and ipsets, whether or not their programs cleaned up. */
export async function removeNodeChains(): Promise<void> {
  for (const table of TABLES) {
    const saved = (await runCommand("iptables-save", ["-t", table]).catch(() => ({ stdout: "" }))).stdout.split("\n");
    const ownChains = saved
      .filter((line) => line.startsWith(":"))
      .map((line) => line.slice(1).split(" ")[0] as string)
      .filter((chain) => OWN_CHAIN.test(chain));
    // Jumps from the built-in chains first, then the chains themselves.
    for (const line of saved) {
      const match = /^-A (\S+) (.*)$/.exec(line);
      if (!match || OWN_CHAIN.test(match[1] as string) || !/ -j KUBE-/.test(` ${match[2]}`)) continue;
      await runCommand("sh", ["-c", `iptables -t ${table} -D ${match[1]} ${match[2]}`]).catch(() => undefined);
    }
    for (const chain of ownChains) await runCommand("iptables", ["-t", table, "-F", chain]).catch(() => undefined);
    for (const chain of ownChains) await runCommand("iptables", ["-t", table, "-X", chain]).catch(() => undefined);
  }
  const sets = (await runCommand("ipset", ["list", "-n"]).catch(() => ({ stdout: "" }))).stdout
    .split("\n")
    .filter((name) => OWN_SET.test(name));
  for (const name of sets) await runCommand("ipset", ["destroy", name]).catch(() => undefined);
}

/** Puts the machine back as the record says: processes, mounts, chains, the bridge, cgroups, paths, sysctls. */
async function restoreHost(record: HostRecord, chainCleanups: ChainCleanup[]): Promise<void> {
  const nodeDirs = [record.workDir, ...(record.runDir ? [record.runDir] : [])];
  for (const dir of nodeDirs) await killAll(await processesUnder(dir));
  for (const root of await kubepodsRoots()) await killAll(await podProcesses(root));
  for (const dir of nodeDirs) await unmountAll(dir);
  for (const hostPath of record.createdPaths) await unmountAll(hostPath);
  for (const cleanup of chainCleanups) await cleanup().catch(() => undefined);
  await removeNodeChains();
  if (await linkExists(NODE_NETWORK.bridge)) await runCommand("ip", ["link", "del", NODE_NETWORK.bridge]);
  await removeKubepodsCgroups();
  for (const hostPath of record.createdPaths) await rm(hostPath, { recursive: true, force: true });
  for (const [name, value] of Object.entries(record.sysctls)) {
    if ((await readSysctl(name)) !== value) await writeFile(`/proc/sys/${name}`, value);
  }
  for (const dir of nodeDirs) await rm(dir, { recursive: true, force: true });
}

export interface NodeHost {
  /**
   * A short directory of the node's own for its sockets and the kubelet's root, whose plugin
   * sockets live in it: a unix socket's path holds at most 107 bytes, which a work directory
   * under a deep cache can pass.
   */
  readonly runDir: string;
  /** Undoes everything, in order. Safe to call more than once. */
  restore(): Promise<void>;
}

/**
 * Claims the machine for one node: cleans what a dead earlier run left (refusing if that run
 * is alive), records the sysctls and host paths as they are, and makes the bridge.
 */
export async function claimNodeHost(workDir: string, chainCleanups: ChainCleanup[]): Promise<NodeHost> {
  const earlier = await readFile(recordFile(), "utf8").then(
    (text) => JSON.parse(text) as HostRecord,
    () => undefined,
  );
  if (earlier) {
    if (earlier.pid !== process.pid && isAlive(earlier.pid)) {
      throw new Error(
        `a node of process ${earlier.pid} runs on this machine already (only one can: it owns ${NODE_NETWORK.bridge} and the kubelet's host paths)`,
      );
    }
    process.stderr.write(`cleaning up after an earlier node (process ${earlier.pid} is gone)\n`);
    await restoreHost(earlier, chainCleanups);
    await rm(recordFile(), { force: true });
  }
  const runDir = await mkdtemp(path.join(tmpdir(), "mcpb-node-"));
  const record: HostRecord = { pid: process.pid, workDir, runDir, sysctls: {}, createdPaths: [] };
  for (const name of SYSCTLS) {
    const value = await readSysctl(name).catch(() => undefined);
    if (value !== undefined) record.sysctls[name] = value;
  }
  for (const hostPath of HOST_PATHS)
    if (
      !(await readdir(hostPath).then(
        () => true,
        () => false,
      ))
    )
      record.createdPaths.push(hostPath);
  await mkdir(path.dirname(recordFile()), { recursive: true });
  await writeFile(recordFile(), JSON.stringify(record), { mode: 0o600 });

  if (await linkExists(NODE_NETWORK.bridge))
    throw new Error(
      `${NODE_NETWORK.bridge} exists but no record of this kit's node claims it; remove it (ip link del ${NODE_NETWORK.bridge})`,
    );
  await runCommand("ip", ["link", "add", NODE_NETWORK.bridge, "type", "bridge"]);
  await runCommand("ip", ["addr", "add", `${NODE_NETWORK.gateway}/24`, "dev", NODE_NETWORK.bridge]);
  await runCommand("ip", ["link", "set", NODE_NETWORK.bridge, "up"]);

  let restored: Promise<void> | undefined;
  return {
    runDir,
    restore: () =>
      (restored ??= (async () => {
        await restoreHost(record, chainCleanups);
        await rm(recordFile(), { force: true });
      })()),
  };
}
