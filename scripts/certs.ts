// npm run certs -- status [--namespace NS | --all-namespaces] [--context C] [--kubeconfig F] [--json]
// npm run certs -- renew <name> | --all  [--namespace NS] [--context C] [--kubeconfig F] [--json]
// The kit's cert-manager Certificates from the cluster: when each expires and renews and whether
// it is ready; and re-issuance on demand, the way cmctl renew triggers it.
// Exit codes: 0 done (status: every certificate ready), 1 failure or a certificate not ready,
// 2 usage, 3 no such certificate.
import { settingDefault } from "../infra/config.js";
import { certificateRow, listCertificates, renewCertificate, type CertificateRow } from "./lib/certificates.js";
import { parseOptions, runMain, usageProblem } from "./lib/cli.js";
import { loadKubeConfig } from "./lib/kube-config.js";

const KIT_NAMESPACE = String(settingDefault("namespace"));

const USAGE = `usage: npm run certs -- status [--namespace NS | --all-namespaces] [--context NAME] [--kubeconfig FILE] [--json]
       npm run certs -- renew <name> | --all [--namespace NS] [--context NAME] [--kubeconfig FILE] [--json]
The namespace defaults to the kit's (${KIT_NAMESPACE}).
Exit codes: 0 done (status: all ready), 1 failure or a certificate not ready, 2 usage, 3 no such certificate.`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RESOURCE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function table(rows: readonly CertificateRow[]): string {
  const header = ["NAMESPACE", "NAME", "READY", "NOT AFTER", "RENEWAL", "SECRET"];
  const lines = rows.map((row) => [
    row.namespace,
    row.name,
    row.ready ? "True" : "False",
    row.notAfter ?? "-",
    row.renewalTime ?? "-",
    row.secret,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => (line[column] ?? "").length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  const problems = rows.filter((row) => row.problem).map((row) => `  ${row.namespace}/${row.name}: ${row.problem}`);
  return [format(header), ...lines.map(format), ...(problems.length > 0 ? ["", "not ready:", ...problems] : [])].join(
    "\n",
  );
}

runMain(async () => {
  const parsed = parseOptions(
    {
      namespace: { type: "string", short: "n" },
      "all-namespaces": { type: "boolean", short: "A" },
      all: { type: "boolean" },
      context: { type: "string" },
      kubeconfig: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE,
    process.argv.slice(2),
    { allowPositionals: true },
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { values } = parsed;
  const [command, ...names] = parsed.positionals;
  const usage = (problem: string) => usageProblem(USAGE, problem);
  if (values.namespace !== undefined && !DNS_LABEL.test(values.namespace))
    return usage(`--namespace ${JSON.stringify(values.namespace)} is not a namespace name`);
  if (values.namespace !== undefined && values["all-namespaces"])
    return usage("--namespace and --all-namespaces exclude each other");
  const namespace = values["all-namespaces"] ? undefined : (values.namespace ?? KIT_NAMESPACE);
  if (command !== "status" && command !== "renew")
    return usage(
      command === undefined ? "a command is needed: status or renew" : `unknown command ${JSON.stringify(command)}`,
    );
  if (command === "status" && (names.length > 0 || values.all)) return usage("status takes no names");
  if (command === "renew") {
    if (values["all-namespaces"]) return usage("renew works in one namespace");
    if (Boolean(values.all) === names.length > 0 || names.length > 1)
      return usage("renew takes one certificate name, or --all");
    if (names[0] !== undefined && !RESOURCE_NAME.test(names[0]))
      return usage(`${JSON.stringify(names[0])} is not a resource name`);
  }

  // The cluster is reached only once the arguments are good.
  const { CustomObjectsApi } = await import("@kubernetes/client-node");
  const api = (await loadKubeConfig({ kubeconfig: values.kubeconfig, context: values.context })).makeApiClient(
    CustomObjectsApi,
  );

  if (command === "status") {
    const rows = (await listCertificates(api, namespace)).map(certificateRow);
    console.log(
      values.json
        ? JSON.stringify({ certificates: rows }, null, 2)
        : rows.length === 0
          ? `no Certificates in ${namespace ?? "any namespace"}`
          : table(rows),
    );
    return rows.every((row) => row.ready) ? 0 : 1;
  }
  const name = names[0];
  const certificates = (await listCertificates(api, namespace)).filter(
    (certificate) => name === undefined || certificate.metadata.name === name,
  );
  if (certificates.length === 0) {
    console.error(`certs: ${name === undefined ? "no Certificates" : `no Certificate ${name}`} in ${namespace}`);
    return 3;
  }
  const results: Array<{ namespace: string; name: string; outcome: string }> = [];
  for (const certificate of certificates) {
    const outcome = await renewCertificate(api, certificate);
    results.push({ namespace: certificate.metadata.namespace, name: certificate.metadata.name, outcome });
    if (!values.json)
      console.log(
        outcome === "triggered"
          ? `re-issuance triggered for ${certificate.metadata.namespace}/${certificate.metadata.name}`
          : `${certificate.metadata.namespace}/${certificate.metadata.name} is already being issued: left alone`,
      );
  }
  if (values.json) console.log(JSON.stringify({ renewed: results }, null, 2));
  return 0;
});
