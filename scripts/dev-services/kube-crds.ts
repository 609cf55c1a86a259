// The CustomResourceDefinitions the kit's objects need, copied from the Go modules of the
// projects that publish them (their own deploy/ folders), into the cache on first use.
// cert-manager's are those of the version the kit deploys; trust-manager's (v0.25.0) and
// prometheus-operator's (v0.85.0) are the versions the module proxy serves (the kit's
// trust-manager v0.20.2 is not). Linkerd's module is not served at all: its CRDs, from the
// chart of the version the kit pins, are kept in crds/ beside this file.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { settingDefault } from "../../infra/config.js";
import { cacheRoot, installOnce, requireTool, runCommand } from "./toolchain.js";

const CERT_MANAGER_VERSION = String(settingDefault("certManagerChartVersion"));
export const TRUST_MANAGER_VERSION = "v0.25.0";
export const PROMETHEUS_OPERATOR_VERSION = "v0.85.0";

const SOURCES = [
  {
    module: `github.com/cert-manager/cert-manager@${CERT_MANAGER_VERSION}`,
    folder: "deploy/crds",
    pick: (file: string) => file.endsWith(".yaml"),
  },
  {
    module: `github.com/cert-manager/trust-manager@${TRUST_MANAGER_VERSION}`,
    folder: "deploy/crds",
    pick: (file: string) => file === "trust.cert-manager.io_bundles.yaml",
  },
  {
    module: `github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}`,
    folder: "example/prometheus-operator-crd",
    pick: (file: string) => /^monitoring\.coreos\.com_(servicemonitors|podmonitors|prometheusrules)\.yaml$/.test(file),
  },
];

/** The files must be plain YAML: a Helm template expression would reach the API server as text. */
function assertPlainYaml(file: string, yaml: string): string {
  const templated = yaml.split("\n").find((line) => line.includes("{{") && !line.trim().startsWith("#"));
  if (templated) throw new Error(`${file} holds a template expression: ${templated.trim()}`);
  return yaml;
}

// Chart 2025.10.2 is the release Linkerd calls edge-25.10.2.
const LINKERD_CRDS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "crds",
  `linkerd-edge-${String(settingDefault("linkerdChartVersion")).replace(/^20/, "")}`,
);

/** Every CRD file the kit's objects need: cert-manager's, trust-manager's, the Prometheus operator's and Linkerd's. */
export async function crdFiles(): Promise<string[]> {
  const linkerd = (await readdir(LINKERD_CRDS))
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => path.join(LINKERD_CRDS, file));
  return [...(await fetchedCrdFiles()), ...linkerd];
}

/** The CRD files fetched from Go modules, one YAML document each. */
async function fetchedCrdFiles(): Promise<string[]> {
  const dir = path.join(
    cacheRoot(),
    `crds-cm${CERT_MANAGER_VERSION}-tm${TRUST_MANAGER_VERSION}-po${PROMETHEUS_OPERATOR_VERSION}`,
  );
  await installOnce(dir, async (staging) => {
    await requireTool(
      "go",
      ["version"],
      "Install Go 1.24 or newer (https://go.dev/doc/install, or Debian: apt-get install golang).",
    );
    for (const source of SOURCES) {
      const { stdout } = await runCommand("go", ["mod", "download", "-json", source.module], { cwd: staging });
      const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
      if (!info.Dir) throw new Error(`go mod download ${source.module}: ${info.Error ?? "no directory"}`);
      const files = (await readdir(path.join(info.Dir, source.folder))).filter(source.pick);
      if (files.length === 0) throw new Error(`${source.module}: no CRD files under ${source.folder}`);
      await mkdir(staging, { recursive: true });
      for (const file of files)
        await writeFile(
          path.join(staging, file),
          assertPlainYaml(file, await readFile(path.join(info.Dir, source.folder, file), "utf8")),
        );
    }
  });
  return (await readdir(dir))
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => path.join(dir, file));
}
