// cert-manager, trust-manager and Linkerd (edge, with its CNI plugin so meshed pods need no
// NET_ADMIN init container) as Helm releases at pinned chart versions. A stack switches any of
// them off where the cluster already runs it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config.js";

const JETSTACK = "https://charts.jetstack.io";
const LINKERD_EDGE = "https://helm.linkerd.io/edge";

export interface PlatformReleasesArgs {
  readonly settings: Settings;
  readonly provider: k8s.Provider;
}

export class PlatformReleases extends pulumi.ComponentResource {
  /** What the kit's certificates and mesh policies need to exist first (CRDs, controllers). */
  readonly foundations: k8s.helm.v3.Release[] = [];
  private readonly args: PlatformReleasesArgs;

  constructor(name: string, args: PlatformReleasesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:k8s:PlatformReleases", name, {}, opts);
    this.args = args;
    const { settings } = args;
    if (settings.installCertManager) {
      const certManager = this.release(
        "cert-manager",
        "cert-manager",
        JETSTACK,
        settings.certManagerChartVersion,
        settings.certManagerNamespace,
        {
          crds: { enabled: true, keep: true },
          enableCertificateOwnerRef: true,
          prometheus: {
            enabled: settings.prometheusOperator,
            servicemonitor: { enabled: settings.prometheusOperator },
          },
        },
      );
      this.foundations.push(certManager);
      if (settings.installTrustManager) {
        this.foundations.push(
          this.release(
            "trust-manager",
            "trust-manager",
            JETSTACK,
            settings.trustManagerChartVersion,
            settings.certManagerNamespace,
            {
              app: { trust: { namespace: settings.certManagerNamespace } },
              secretTargets: { enabled: false },
            },
            [certManager],
          ),
        );
      }
    }
    if (settings.installLinkerd && settings.meshEnabled) {
      this.foundations.push(
        this.release(
          "linkerd-crds",
          "linkerd-crds",
          LINKERD_EDGE,
          settings.linkerdChartVersion,
          settings.linkerdNamespace,
          {},
        ),
      );
      this.foundations.push(
        this.release("linkerd-cni", "linkerd2-cni", LINKERD_EDGE, settings.linkerdChartVersion, "linkerd-cni", {}),
      );
    }
    this.registerOutputs({});
  }

  /** The control plane starts once its identity issuer and trust roots exist (cert-manager made them). */
  linkerdControlPlane(dependsOn: pulumi.Resource[]): k8s.helm.v3.Release | undefined {
    const { settings } = this.args;
    if (!settings.installLinkerd || !settings.meshEnabled) return undefined;
    return this.release(
      "linkerd-control-plane",
      "linkerd-control-plane",
      LINKERD_EDGE,
      settings.linkerdChartVersion,
      settings.linkerdNamespace,
      {
        cniEnabled: true,
        identity: { externalCA: true, issuer: { scheme: "kubernetes.io/tls" } },
      },
      [...this.foundations, ...dependsOn],
    );
  }

  private release(
    name: string,
    chart: string,
    repo: string,
    version: string,
    namespace: string,
    values: Record<string, unknown>,
    dependsOn: pulumi.Resource[] = [],
  ) {
    return new k8s.helm.v3.Release(
      name,
      {
        name,
        chart,
        version,
        namespace,
        createNamespace: true,
        repositoryOpts: { repo },
        values,
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this, provider: this.args.provider, dependsOn },
    );
  }
}
