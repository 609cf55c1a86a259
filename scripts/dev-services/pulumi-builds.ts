// The Pulumi engine the kit's deploy command and tests drive: the CLI and the Kubernetes
// resource provider, built from their Go modules into the cache on first use. Both modules
// replace their sibling SDK module with a relative path, so each is built in a copy of the
// two module folders laid side by side, as in their own repository.
import { chmod, cp, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";

export const PULUMI_CLI_VERSION = "v3.274.1";
/**
 * The provider's release is 4.25.0; the module proxy serves its provider module only at the
 * commit of the day before the tag (the provider code of 4.25.0 less its last commits). The
 * npm SDK `@pulumi/kubernetes` is pinned to the same version, since the engine loads the plugin
 * at the version the SDK names.
 */
export const KUBERNETES_PROVIDER_VERSION = "4.25.0";
const KUBERNETES_PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199";
const KUBERNETES_PROVIDER_SDK_MODULE = "github.com/pulumi/pulumi-kubernetes/sdk/v4@v4.24.0";

const GO_ENV = { GOWORK: "off", CGO_ENABLED: "0" };

async function moduleDir(module: string, cwd: string): Promise<string> {
  const { stdout } = await runCommand("go", ["mod", "download", "-json", module], {
    cwd,
    env: { ...process.env, ...GO_ENV },
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? "no directory"}`);
  return info.Dir;
}

/** Copies module folders (read-only in the module cache) to writable places under `into`. */
async function layOut(modules: Record<string, string>, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  for (const [folder, module] of Object.entries(modules)) {
    const target = path.join(into, folder);
    await cp(await moduleDir(module, into), target, { recursive: true });
    await runCommand("chmod", ["-R", "u+w", target]);
  }
}

async function goBuild(title: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  try {
    await runCommand("go", args, { cwd, env: { ...process.env, ...GO_ENV, ...env } });
  } catch (error) {
    throw new Error(`building ${title} failed (is the Go module proxy reachable?): ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const GO_PREREQUISITE = "Install Go 1.24 or newer (https://go.dev/doc/install, or Debian: apt-get install golang).";

/** The Pulumi CLI; returns the root folder whose bin/pulumi it is (what PulumiCommand.get wants). */
export async function installPulumiCli(): Promise<string> {
  const dir = path.join(cacheRoot(), `pulumi-cli-${PULUMI_CLI_VERSION}`);
  return installOnce(dir, async (staging) => {
    await requireTool("go", ["version"], GO_PREREQUISITE);
    process.stderr.write(
      `building the Pulumi CLI ${PULUMI_CLI_VERSION} from the Go module proxy into ${dir} (first run only; this takes minutes)\n`,
    );
    const source = path.join(staging, "src");
    await layOut(
      {
        pkg: `github.com/pulumi/pulumi/pkg/v3@${PULUMI_CLI_VERSION}`,
        sdk: `github.com/pulumi/pulumi/sdk/v3@${PULUMI_CLI_VERSION}`,
      },
      source,
    );
    const ldflags = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_CLI_VERSION}`;
    await goBuild(
      `the Pulumi CLI ${PULUMI_CLI_VERSION}`,
      [
        "build",
        "-trimpath",
        "-tags",
        "osusergo,grpcnotrace",
        "-ldflags",
        ldflags,
        "-o",
        path.join(staging, "bin", "pulumi"),
        "./cmd/pulumi",
      ],
      path.join(source, "pkg"),
    );
    await rm(source, { recursive: true, force: true });
  });
}

/** The Kubernetes resource provider binary (pulumi-resource-kubernetes). */
export async function installKubernetesProvider(): Promise<string> {
  const dir = path.join(cacheRoot(), `pulumi-resource-kubernetes-${KUBERNETES_PROVIDER_VERSION}`);
  await installOnce(dir, async (staging) => {
    await requireTool("go", ["version"], GO_PREREQUISITE);
    process.stderr.write(
      `building the Pulumi Kubernetes provider ${KUBERNETES_PROVIDER_VERSION} from the Go module proxy into ${dir} (first run only; this takes minutes)\n`,
    );
    const source = path.join(staging, "src");
    await layOut({ provider: KUBERNETES_PROVIDER_MODULE, sdk: KUBERNETES_PROVIDER_SDK_MODULE }, source);
    const provider = path.join(source, "provider");
    const title = `the Pulumi Kubernetes provider ${KUBERNETES_PROVIDER_VERSION}`;
    // Embeds the provider's schema and metadata (the *-embed.json files the build expects).
    await goBuild(title, ["generate", "."], path.join(provider, "cmd", "pulumi-resource-kubernetes"), {
      VERSION: KUBERNETES_PROVIDER_VERSION,
    });
    const ldflags = `-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${KUBERNETES_PROVIDER_VERSION}`;
    await goBuild(
      title,
      [
        "build",
        "-trimpath",
        "-ldflags",
        ldflags,
        "-o",
        path.join(staging, "pulumi-resource-kubernetes"),
        "./cmd/pulumi-resource-kubernetes",
      ],
      provider,
    );
    await rm(source, { recursive: true, force: true });
    await chmod(path.join(staging, "pulumi-resource-kubernetes"), 0o755);
  });
  return path.join(dir, "pulumi-resource-kubernetes");
}

/** Both, built one after the other (each already uses every core). */
export async function installPulumiEngine(): Promise<{ cliRoot: string; kubernetesProvider: string }> {
  return { cliRoot: await installPulumiCli(), kubernetesProvider: await installKubernetesProvider() };
}
