// The test cluster's programs, built from the Go module proxy into the cache on first use:
// etcd, kube-apiserver, kube-controller-manager and the cert-manager controller. None can be `go install`ed (their
// modules carry replace lines), so each is built from a scratch module that requires the
// published module and repeats what its replace lines mean with published versions.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
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
    await requireTool("go", ["version"], "Install Go 1.24 or newer (https://go.dev/doc/install, or Debian: apt-get install golang).");
    process.stderr.write(`building ${build.title} from the Go module proxy into ${dir} (first run only; this takes minutes)\n`);
    const source = path.join(staging, "src");
    await mkdir(source, { recursive: true });
    const env = { ...process.env, ...GO_ENV };
    await go(["mod", "init", "scratch"], source, env);
    for (const module of build.require) await go(["mod", "edit", `-require=${module}`], source, env);
    for (const replacement of build.replace ?? []) await go(["mod", "edit", `-replace=${replacement}`], source, env);
    // A blank import pins the program's package graph in the scratch module for `go mod tidy`.
    await writeFile(path.join(source, "tools.go"), `//go:build tools\n\npackage tools\n\nimport _ "${build.main}"\n`);
    try {
      await go(["mod", "tidy", "-e"], source, env);
      await go(["build", "-o", path.join(staging, "bin", build.binary), build.main], source, env);
    } catch (error) {
      throw new Error(`building ${build.title} failed (is the Go module proxy reachable?): ${(error as Error).message}`, { cause: error });
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
  const info = JSON.parse(await go(["mod", "download", "-json", `k8s.io/kubernetes@${KUBERNETES_VERSION}`], probe, env)) as { GoMod: string };
  const staging = [...(await readFile(info.GoMod, "utf8")).matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\//gm)].map((match) => match[1] as string);
  if (staging.length === 0) throw new Error(`k8s.io/kubernetes@${KUBERNETES_VERSION}: no staging replacements found in its go.mod`);
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
