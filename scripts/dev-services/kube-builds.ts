// The test cluster's programs, built from the Go module proxy into the cache on first use:
// etcd, kube-apiserver, kube-controller-manager and the cert-manager controller. None can be `go install`ed (their
// modules carry replace lines), so each is built from a scratch module that requires the
// published module and repeats what its replace lines mean with published versions.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { TRUST_MANAGER_VERSION } from "./kube-crds.js";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";

export const ETCD_VERSION = "v3.5.21";
export const KUBERNETES_VERSION = "v1.33.13";
// Since v1.12 cert-manager's cmd/controller is an untagged module of its own; v1.11 is the last
// release whose controller sits in the tagged root module.
export const CERT_MANAGER_CONTROLLER_VERSION = "v1.11.5";

const GO_ENV = { GOFLAGS: "-mod=mod" };

interface ScratchBuild {
  /** Cache folder name. */
  name: string;
  /** The program's import path, and the name of the binary built from it. */
  main: string;
  binary: string;
  /** More programs of the same module graph, built in the same `go build` into bin/ (named by their last path element). */
  more?: string[];
  /** Linker flags, such as the version stamps a release build sets. */
  ldflags?: string;
  /** No cgo: a static binary that runs in an image with no C library. */
  static?: boolean;
  /** go.mod edits: required modules and replacements. */
  require: string[];
  replace?: string[];
  /** What the build is called in messages. */
  title: string;
}

async function go(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await runCommand("go", args, { cwd, env })).stdout;
}

async function buildScratch(build: ScratchBuild): Promise<string> {
  const dir = path.join(cacheRoot(), build.name);
  await installOnce(dir, async (staging) => {
    await requireTool(
      "go",
      ["version"],
      "Install Go 1.24 or newer (https://go.dev/doc/install, or Debian: apt-get install golang).",
    );
    process.stderr.write(
      `building ${build.title} from the Go module proxy into ${dir} (first run only; this takes minutes)\n`,
    );
    const source = path.join(staging, "src");
    await mkdir(source, { recursive: true });
    const env = { ...process.env, ...GO_ENV, ...(build.static ? { CGO_ENABLED: "0" } : {}) };
    await go(["mod", "init", "scratch"], source, env);
    for (const module of build.require) await go(["mod", "edit", `-require=${module}`], source, env);
    for (const replacement of build.replace ?? []) await go(["mod", "edit", `-replace=${replacement}`], source, env);
    // A blank import pins the program's package graph in the scratch module for `go mod tidy`.
    const mains = [build.main, ...(build.more ?? [])];
    await writeFile(
      path.join(source, "tools.go"),
      `//go:build tools\n\npackage tools\n\nimport (\n${mains.map((main) => `\t_ "${main}"\n`).join("")})\n`,
    );
    const ldflags = build.ldflags === undefined ? [] : ["-ldflags", build.ldflags];
    try {
      await go(["mod", "tidy", "-e"], source, env);
      if (build.more === undefined)
        await go(["build", ...ldflags, "-o", path.join(staging, "bin", build.binary), build.main], source, env);
      else await go(["build", ...ldflags, "-o", path.join(staging, "bin") + path.sep, ...mains], source, env);
    } catch (error) {
      throw new Error(
        `building ${build.title} failed (is the Go module proxy reachable?): ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
  return dir;
}

export async function installEtcd(): Promise<string> {
  const dir = await buildScratch({
    name: `etcd-${ETCD_VERSION}`,
    title: `etcd ${ETCD_VERSION}`,
    main: "go.etcd.io/etcd/server/v3",
    binary: "etcd",
    require: [`go.etcd.io/etcd/server/v3@${ETCD_VERSION}`],
  });
  return path.join(dir, "bin", "etcd");
}

/**
 * k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging
 * folders its module zip lacks; each is published as v0.N.M for Kubernetes v1.N.M
 * (kubernetes/kubernetes#79384), so the scratch module replaces every one with that.
 */
async function stagingReplacements(): Promise<string[]> {
  const minor = KUBERNETES_VERSION.replace(/^v1\./, "v0.");
  const probe = path.join(cacheRoot(), "go-probe");
  await mkdir(probe, { recursive: true });
  const env = { ...process.env, ...GO_ENV };
  const info = JSON.parse(
    await go(["mod", "download", "-json", `k8s.io/kubernetes@${KUBERNETES_VERSION}`], probe, env),
  ) as { GoMod: string };
  const staging = [...(await readFile(info.GoMod, "utf8")).matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\//gm)].map(
    (match) => match[1] as string,
  );
  if (staging.length === 0)
    throw new Error(`k8s.io/kubernetes@${KUBERNETES_VERSION}: no staging replacements found in its go.mod`);
  return staging.map((module) => `${module}=${module}@${minor}`);
}

/** A program of k8s.io/kubernetes (cmd/NAME); the Go build cache shares what they have in common. */
async function installKubernetesProgram(program: string): Promise<string> {
  const dir = await buildScratch({
    name: `${program}-${KUBERNETES_VERSION}`,
    title: `${program} ${KUBERNETES_VERSION}`,
    main: `k8s.io/kubernetes/cmd/${program}`,
    binary: program,
    require: [`k8s.io/kubernetes@${KUBERNETES_VERSION}`],
    replace: await stagingReplacements(),
  });
  return path.join(dir, "bin", program);
}

/** The version a release build stamps into the programs (and that the Node then reports). */
const KUBERNETES_LDFLAGS = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  `-X k8s.io/component-base/version.gitMajor=${KUBERNETES_VERSION.split(".")[0]?.slice(1)}`,
  `-X k8s.io/component-base/version.gitMinor=${KUBERNETES_VERSION.split(".")[1]}`,
  `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
].join(" ");

export interface NodePrograms {
  kubelet: string;
  kubeScheduler: string;
  kubeProxy: string;
}

/**
 * kubelet, kube-scheduler and kube-proxy in one `go build` of the same module graph as the API
 * server's, so the Go build cache already holds most of what they compile.
 */
export async function installKubernetesNodePrograms(): Promise<NodePrograms> {
  const dir = await buildScratch({
    name: `kube-node-${KUBERNETES_VERSION}`,
    title: `kubelet, kube-scheduler and kube-proxy ${KUBERNETES_VERSION}`,
    main: "k8s.io/kubernetes/cmd/kubelet",
    binary: "kubelet",
    more: ["k8s.io/kubernetes/cmd/kube-scheduler", "k8s.io/kubernetes/cmd/kube-proxy"],
    ldflags: KUBERNETES_LDFLAGS,
    require: [`k8s.io/kubernetes@${KUBERNETES_VERSION}`],
    replace: await stagingReplacements(),
  });
  const bin = (name: string) => path.join(dir, "bin", name);
  return { kubelet: bin("kubelet"), kubeScheduler: bin("kube-scheduler"), kubeProxy: bin("kube-proxy") };
}

export const COREDNS_VERSION = "v1.15.0";
export const KUBE_ROUTER_VERSION = "v2.1.0";

/** The cluster's DNS server, static: it runs in a pod of an image holding nothing else. */
export async function installCoreDns(): Promise<string> {
  const dir = await buildScratch({
    name: `coredns-static-${COREDNS_VERSION}`,
    static: true,
    title: `CoreDNS ${COREDNS_VERSION}`,
    main: "github.com/coredns/coredns",
    binary: "coredns",
    require: [`github.com/coredns/coredns@${COREDNS_VERSION}`],
  });
  return path.join(dir, "bin", "coredns");
}

/** kube-router, of which the node runs only the NetworkPolicy controller (iptables + ipset). */
export async function installKubeRouter(): Promise<string> {
  const dir = await buildScratch({
    name: `kube-router-${KUBE_ROUTER_VERSION}`,
    title: `kube-router ${KUBE_ROUTER_VERSION}`,
    main: "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router",
    binary: "kube-router",
    require: [`github.com/cloudnativelabs/kube-router/v2@${KUBE_ROUTER_VERSION}`],
  });
  return path.join(dir, "bin", "kube-router");
}

/** trust-manager, which writes the CA bundle ConfigMaps the kit's pods mount (the version of the CRDs in kube-crds.ts). */
export async function installTrustManager(): Promise<string> {
  const dir = await buildScratch({
    name: `trust-manager-${TRUST_MANAGER_VERSION}`,
    title: `trust-manager ${TRUST_MANAGER_VERSION}`,
    main: "github.com/cert-manager/trust-manager/cmd/trust-manager",
    binary: "trust-manager",
    require: [`github.com/cert-manager/trust-manager@${TRUST_MANAGER_VERSION}`],
  });
  return path.join(dir, "bin", "trust-manager");
}

export const installKubeApiserver = (): Promise<string> => installKubernetesProgram("kube-apiserver");

/** Runs the controllers a real control plane has: namespace finalization, garbage collection, ... */
export const installKubeControllerManager = (): Promise<string> => installKubernetesProgram("kube-controller-manager");

export async function installCertManagerController(): Promise<string> {
  const dir = await buildScratch({
    name: `cert-manager-controller-${CERT_MANAGER_CONTROLLER_VERSION}`,
    title: `the cert-manager controller ${CERT_MANAGER_CONTROLLER_VERSION}`,
    main: "github.com/cert-manager/cert-manager/cmd/controller",
    binary: "cert-manager-controller",
    require: [`github.com/cert-manager/cert-manager@${CERT_MANAGER_CONTROLLER_VERSION}`],
    // The one replace line of cert-manager's own go.mod.
    replace: ["github.com/miekg/dns@v1.1.41=github.com/miekg/dns@v1.1.34"],
  });
  return path.join(dir, "bin", "cert-manager-controller");
}
