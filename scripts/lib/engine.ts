// The Pulumi engine behind `npm run deploy` and the tests that apply the kit for real: the CLI
// and the Kubernetes provider the kit builds at pinned versions, a state backend, a secrets
// passphrase kept in a file, and a stack that runs the kit's program inline (Automation API),
// so no Node.js language host is needed.
import { randomBytes } from "node:crypto";
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation/index.js";
import { KUBERNETES_PROVIDER_VERSION, installPulumiEngine } from "../dev-services/pulumi-builds.js";
import { cacheRoot, runCommand } from "../dev-services/toolchain.js";
import { PROJECT_ROOT, kitProgram } from "../../infra/program.js";

export const PROJECT_NAME = "mcp-bastion";
/** The policy pack as an analyzer the engine starts itself. */
export const POLICY_ANALYZER = path.join(PROJECT_ROOT, "policies", "analyzer");

export interface EngineOptions {
  /** Where Pulumi.yaml and Pulumi.<stack>.yaml are read and written. @default the project root */
  readonly workDir?: string;
  /** The state backend. @default PULUMI_BACKEND_URL, else a file backend in the kit's cache */
  readonly backendUrl?: string;
  /** The kubeconfig the Kubernetes provider uses. @default KUBECONFIG, else ~/.kube/config */
  readonly kubeconfig?: string;
}

export interface Engine {
  readonly stack: Stack;
  /** What the CLI and the providers run with (no secret values: the passphrase is a file). */
  readonly env: Readonly<Record<string, string>>;
}

/** A passphrase for the stack's secrets: the operator's (env), else one generated into a 0600 file. */
async function passphraseEnv(stateDir: string): Promise<Record<string, string>> {
  if (process.env.PULUMI_CONFIG_PASSPHRASE_FILE)
    return { PULUMI_CONFIG_PASSPHRASE_FILE: process.env.PULUMI_CONFIG_PASSPHRASE_FILE };
  if (process.env.PULUMI_CONFIG_PASSPHRASE !== undefined) return {};
  const file = path.join(stateDir, "passphrase");
  try {
    await access(file);
  } catch {
    await writeFile(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      },
    );
  }
  return { PULUMI_CONFIG_PASSPHRASE_FILE: file };
}

/** Installs the provider binary the kit built as the plugin version the SDK asks for (once). */
async function installProviderPlugin(pulumi: string, provider: string, env: NodeJS.ProcessEnv): Promise<void> {
  const home = env.PULUMI_HOME as string;
  const installed = path.join(
    home,
    "plugins",
    `resource-kubernetes-v${KUBERNETES_PROVIDER_VERSION}`,
    "pulumi-resource-kubernetes",
  );
  const current = await readFile(
    path.join(home, "plugins", `.kit-provider-v${KUBERNETES_PROVIDER_VERSION}`),
    "utf8",
  ).catch(() => "");
  if (
    current === provider &&
    (await access(installed).then(
      () => true,
      () => false,
    ))
  )
    return;
  await runCommand(
    pulumi,
    ["plugin", "install", "resource", "kubernetes", KUBERNETES_PROVIDER_VERSION, "--file", provider, "--reinstall"],
    { env },
  );
  await writeFile(path.join(home, "plugins", `.kit-provider-v${KUBERNETES_PROVIDER_VERSION}`), provider);
}

/** The stack named `stackName`, created in the backend if it does not exist yet. */
export async function openEngine(stackName: string, options: EngineOptions = {}): Promise<Engine> {
  const { cliRoot, kubernetesProvider } = await installPulumiEngine();
  const stateDir = path.join(cacheRoot(), "pulumi-state");
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const home = process.env.PULUMI_HOME ?? path.join(cacheRoot(), "pulumi-home");
  await mkdir(home, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: options.backendUrl ?? process.env.PULUMI_BACKEND_URL ?? pathToFileURL(stateDir).href,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Every plugin the kit needs is installed here; the engine must not fetch others.
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    ...(await passphraseEnv(stateDir)),
    ...(options.kubeconfig ? { KUBECONFIG: path.resolve(options.kubeconfig) } : {}),
  };
  const pulumiBinary = path.join(cliRoot, "bin", "pulumi");
  await installProviderPlugin(pulumiBinary, kubernetesProvider, { ...process.env, ...env });
  const pulumiCommand = await PulumiCommand.get({ root: cliRoot, skipVersionCheck: false });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: PROJECT_NAME, program: async () => kitProgram() },
    { workDir: options.workDir ?? PROJECT_ROOT, pulumiCommand, envVars: env },
  );
  return { stack, env };
}
