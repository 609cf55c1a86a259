// With the Prometheus operator: scrape the server's metrics port and alert on what an operator
// must act on (failing tools, an authentication attack, lockouts, a missed backup, a certificate
// that is not being renewed).
import { ApiObject, Chart } from "cdk8s";
import type { Construct } from "constructs";
import { NAMES, objectLabels } from "./common.js";

export const ALERTS = [
  "McpToolFailureRate",
  "McpAuthenticationFailureSpike",
  "McpLockouts",
  "McpBackupMissing",
  "McpCertificateExpiringSoon",
  "McpAuditEventsDropped",
] as const;

export interface MonitoringProps {
  /** The kit's namespace, whose server is scraped and whose metrics the alerts read. */
  readonly namespace: string;
  /**
   * cert-manager's namespace: its certificates' expiry is watched too (the kit's root CA).
   * @default "cert-manager"
   */
  readonly certManagerNamespace?: string;
  /**
   * Linkerd's namespace: its identity issuer's expiry is watched too.
   * @default "linkerd"
   */
  readonly linkerdNamespace?: string;
}

export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("platform") });
    const { namespace } = props;
    const certManagerNamespace = props.certManagerNamespace ?? "cert-manager";
    const linkerdNamespace = props.linkerdNamespace ?? "linkerd";

    new ApiObject(this, "service-monitor", {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: { name: NAMES.mcp },
      spec: {
        selector: { matchLabels: objectLabels("mcp-server") },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [{ port: "metrics", interval: "30s", scheme: "http" }],
      },
    });

    const selector = `namespace="${namespace}"`;
    new ApiObject(this, "rules", {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name: "mcp-bastion" },
      spec: {
        groups: [
          {
            name: "mcp-bastion",
            rules: [
              alert(
                ALERTS[0],
                `sum(rate(mcp_tool_calls_total{${selector},status="error"}[10m])) / clamp_min(sum(rate(mcp_tool_calls_total{${selector}}[10m])), 1e-9) > 0.05`,
                "10m",
                "warning",
                "More than 5% of tool calls fail",
              ),
              alert(
                ALERTS[1],
                `sum(rate(mcp_auth_results_total{${selector},result="deny"}[5m])) > 3 * clamp_min(sum(rate(mcp_auth_results_total{${selector},result="deny"}[6h] offset 5m)), 0.05)`,
                "5m",
                "warning",
                "Authentication failures are three times their usual rate",
              ),
              alert(
                ALERTS[2],
                `sum(increase(mcp_lockouts_total{${selector}}[15m])) > 0`,
                "0m",
                "warning",
                "A principal was locked out after repeated failed authentications",
              ),
              alert(
                ALERTS[3],
                `time() - max(kube_cronjob_status_last_successful_time{${selector},cronjob="${NAMES.backup}"}) > 26 * 3600 or absent(kube_cronjob_status_last_successful_time{${selector},cronjob="${NAMES.backup}"})`,
                "15m",
                "critical",
                "No successful Neo4j backup for 26 hours",
              ),
              alert(
                ALERTS[4],
                `min by (name, namespace) (certmanager_certificate_expiration_timestamp_seconds{exported_namespace=~"${namespace}|${certManagerNamespace}|${linkerdNamespace}"} - time()) < 7 * 86400`,
                "1h",
                "critical",
                "A certificate expires within 7 days: cert-manager is not renewing it",
              ),
              alert(
                ALERTS[5],
                `sum(increase(mcp_audit_events_dropped_total{${selector}}[10m])) > 0`,
                "0m",
                "critical",
                "Audit events were logged but not stored in Neo4j: the audit trail has a gap",
              ),
            ],
          },
        ],
      },
    });
  }
}

function alert(name: string, expr: string, forDuration: string, severity: string, summary: string) {
  return {
    alert: name,
    expr,
    for: forDuration,
    labels: { severity, "app.kubernetes.io/part-of": "mcp-bastion" },
    annotations: { summary },
  };
}
