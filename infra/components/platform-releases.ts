// cert-manager, trust-manager and Linkerd (edge, with its CNI plugin so meshed pods need no
// NET_ADMIN init container) as Helm releases at pinned chart versions. A stack switches any of
// them off where the cluster already runs it.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
const JETSTACK = "https://charts.jetstack.io";
const LINKERD_EDGE = "https://helm.linkerd.io/edge";

export interface PlatformReleasesArgs {
  /** The cluster the releases are installed into. */
  readonly provider: k8s.Provider;
  /**
   * Install cert-manager; off where the cluster already runs it (trust-manager is then not installed either).
   * @default true
   */
  readonly installCertManager?: boolean;
  /**
   * Install trust-manager beside cert-manager.
   * @default true
   */
  readonly installTrustManager?: boolean;
  /**
   * Install Linkerd (CRDs, CNI plugin and, through linkerdControlPlane, the control plane).
   * @default true
   */
  readonly installLinkerd?: boolean;
  /** cert-manager's exact chart version. */
  readonly certManagerChartVersion: pulumi.Input<string>;
  /** trust-manager's exact chart version. */
  readonly trustManagerChartVersion: pulumi.Input<string>;
  /** Linkerd edge's exact chart version (the CRDs, CNI and control plane charts share it). */
  readonly linkerdChartVersion: pulumi.Input<string>;
  /**
   * Where cert-manager and trust-manager run; trust-manager reads its sources only there.
   * @default "cert-manager"
   */
  readonly certManagerNamespace?: string;
  /**
   * Where Linkerd's control plane runs.
   * @default "linkerd"
   */
  readonly linkerdNamespace?: string;
  /**
   * Have cert-manager expose its metrics to the Prometheus operator (a ServiceMonitor).
   * @default false
   */
  readonly prometheusOperator?: boolean;
}

/** PlatformReleasesArgs with every default applied. */
type ResolvedReleasesArgs = Required<PlatformReleasesArgs>;

function withDefaults(args: PlatformReleasesArgs): ResolvedReleasesArgs {
  return {
    ...args,
    installCertManager: args.installCertManager ?? true,
    installTrustManager: args.installTrustManager ?? true,
    installLinkerd: args.installLinkerd ?? true,
    certManagerNamespace: args.certManagerNamespace ?? "cert-manager",
    linkerdNamespace: args.linkerdNamespace ?? "linkerd",
    prometheusOperator: args.prometheusOperator ?? false,
  };
}

export class PlatformReleases extends pulumi.ComponentResource {
  /** What the kit's certificates and mesh policies need to exist first (CRDs, controllers). */
  readonly foundations: k8s.helm.v3.Release[] = [];
  private readonly args: ResolvedReleasesArgs;

  constructor(name: string, args: PlatformReleasesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:k8s:PlatformReleases", name, {}, opts);
    const options = withDefaults(args);
    this.args = options;
    if (options.installCertManager) {
      const certManager = this.release(
        "cert-manager",
        "cert-manager",
        JETSTACK,
        options.certManagerChartVersion,
        options.certManagerNamespace,
        {
          crds: { enabled: true, keep: true },
          enableCertificateOwnerRef: true,
          prometheus: {
            enabled: options.prometheusOperator,
            servicemonitor: { enabled: options.prometheusOperator },
          },
        },
      );
      this.foundations.push(certManager);
      if (options.installTrustManager) {
        this.foundations.push(
          this.release(
            "trust-manager",
            "trust-manager",
            JETSTACK,
            options.trustManagerChartVersion,
            options.certManagerNamespace,
            {
              app: { trust: { namespace: options.certManagerNamespace } },
              secretTargets: { enabled: false },
            },
            [certManager],
          ),
        );
      }
    }
    if (options.installLinkerd) {
      this.foundations.push(
        this.release(
          "linkerd-crds",
          "linkerd-crds",
          LINKERD_EDGE,
          options.linkerdChartVersion,
          options.linkerdNamespace,
          {},
        ),
      );
      this.foundations.push(
        this.release("linkerd-cni", "linkerd2-cni", LINKERD_EDGE, options.linkerdChartVersion, "linkerd-cni", {}),
      );
    }
    this.registerOutputs({});
  }

  /** The control plane starts once its identity issuer and trust roots exist (cert-manager made them). */
  linkerdControlPlane(dependsOn: pulumi.Resource[]): k8s.helm.v3.Release | undefined {
    const options = this.args;
    if (!options.installLinkerd) return undefined;
    return this.release(
      "linkerd-control-plane",
      "linkerd-control-plane",
      LINKERD_EDGE,
      options.linkerdChartVersion,
      options.linkerdNamespace,
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
    version: pulumi.Input<string>,
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
