// Linkerd: its identity PKI managed by cert-manager (trust anchor -> identity issuer, the
// anchor distributed by trust-manager), and the kit's authorization policy: inbound is denied
// by default (namespace annotation), Neo4j accepts only the server's and the backup's mTLS
// identities, MinIO only the backup's.
import { ApiObject, Chart } from "cdk8s";
import type { Construct } from "constructs";
import {
  CA_LIFETIME,
  NAMES,
  PORTS,
  certificate,
  clusterIssuer,
  issuerNames,
  objectLabels,
  podLabels,
  type Component,
} from "./common.js";

/** The identity issuer lives two days and is renewed a day ahead (Linkerd's own advice: short). */
export const LINKERD_ISSUER_LIFETIME = { duration: "48h", renewBefore: "25h" } as const;

const POLICY_GROUP = "policy.linkerd.io";

export interface MeshIdentityProps {
  /** The kit's namespace: the anchor's ClusterIssuer is named after it, signed by its self-signed issuer. */
  readonly namespace: string;
  /**
   * cert-manager's namespace, where the trust anchor lives (trust-manager reads its sources only there).
   * @default "cert-manager"
   */
  readonly certManagerNamespace?: string;
  /**
   * Linkerd's namespace, where its identity issuer and trust roots go.
   * @default "linkerd"
   */
  readonly linkerdNamespace?: string;
}

/** Linkerd's identity PKI; applied before the control plane, which reads it at start. */
export class MeshIdentityChart extends Chart {
  constructor(scope: Construct, id: string, props: MeshIdentityProps) {
    super(scope, id, { labels: objectLabels("platform") });
    const certManagerNamespace = props.certManagerNamespace ?? "cert-manager";
    const linkerdNamespace = props.linkerdNamespace ?? "linkerd";
    const issuers = issuerNames(props.namespace);
    const trustAnchor = "linkerd-trust-anchor";
    const anchorIssuer = `${props.namespace}-linkerd-trust-anchor`;
    // The anchor sits in cert-manager's namespace: trust-manager reads its sources only there.
    certificate(this, {
      name: trustAnchor,
      namespace: certManagerNamespace,
      secretName: trustAnchor,
      issuer: issuers.selfSigned,
      isCA: true,
      commonName: "root.linkerd.cluster.local",
      ...CA_LIFETIME,
    });
    clusterIssuer(this, anchorIssuer, { ca: { secretName: trustAnchor } });
    certificate(this, {
      name: "linkerd-identity-issuer",
      namespace: linkerdNamespace,
      secretName: "linkerd-identity-issuer",
      issuer: anchorIssuer,
      isCA: true,
      commonName: "identity.linkerd.cluster.local",
      ...LINKERD_ISSUER_LIFETIME,
    });
    new ApiObject(this, "trust-roots", {
      apiVersion: "trust.cert-manager.io/v1alpha1",
      kind: "Bundle",
      metadata: { name: "linkerd-identity-trust-roots" },
      spec: {
        sources: [{ secret: { name: trustAnchor, key: "ca.crt" } }],
        target: {
          configMap: { key: "ca-bundle.crt" },
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": linkerdNamespace } },
        },
      },
    });
  }
}

export interface MeshPolicyProps {
  /** The kit's namespace, whose pods the policies cover. */
  readonly namespace: string;
  /**
   * The in-cluster rate-limit store runs (rateLimitStore valkey): only the MCP server may reach it.
   * @default false
   */
  readonly rateLimitStore?: boolean;
  /**
   * The in-cluster object store runs (local platform): only the backup may reach it.
   * @default false
   */
  readonly objectStore?: boolean;
}

/** Who may talk to whom inside the mesh; inbound is otherwise denied (namespace annotation). */
export class MeshPolicyChart extends Chart {
  constructor(scope: Construct, id: string, props: MeshPolicyProps) {
    super(scope, id, { labels: objectLabels("platform") });
    const { namespace } = props;
    const server = (name: string, component: Component, port: number, proxyProtocol: string) =>
      new ApiObject(this, `server-${name}`, {
        apiVersion: `${POLICY_GROUP}/v1beta3`,
        kind: "Server",
        metadata: { name, namespace },
        spec: { podSelector: { matchLabels: podLabels(component) }, port, proxyProtocol },
      });
    const meshClients = (name: string, serviceAccounts: string[]) =>
      new ApiObject(this, `mtls-${name}`, {
        apiVersion: `${POLICY_GROUP}/v1alpha1`,
        kind: "MeshTLSAuthentication",
        metadata: { name, namespace },
        spec: {
          identityRefs: serviceAccounts.map((serviceAccount) => ({ kind: "ServiceAccount", name: serviceAccount })),
        },
      });
    const authorize = (serverName: string, authentication: { kind: string; name: string }) =>
      new ApiObject(this, `authz-${serverName}`, {
        apiVersion: `${POLICY_GROUP}/v1alpha1`,
        kind: "AuthorizationPolicy",
        metadata: { name: serverName, namespace },
        spec: {
          targetRef: { group: POLICY_GROUP, kind: "Server", name: serverName },
          requiredAuthenticationRefs: [{ group: POLICY_GROUP, ...authentication }],
        },
      });

    server("neo4j-bolt", "neo4j", PORTS.bolt, "opaque");
    meshClients("neo4j-clients", [NAMES.mcp, NAMES.backup]);
    authorize("neo4j-bolt", { kind: "MeshTLSAuthentication", name: "neo4j-clients" });

    // The ingress controller and Prometheus are outside the mesh: these ports accept plain
    // connections, and the NetworkPolicies decide who may open them.
    new ApiObject(this, "any-network", {
      apiVersion: `${POLICY_GROUP}/v1alpha1`,
      kind: "NetworkAuthentication",
      metadata: { name: "outside-the-mesh", namespace },
      spec: { networks: [{ cidr: "0.0.0.0/0" }, { cidr: "::/0" }] },
    });
    // The MCP port speaks TLS itself (the ingress controller re-encrypts to it): opaque to the proxy.
    server("mcp-https", "mcp-server", PORTS.mcp, "TLS");
    authorize("mcp-https", { kind: "NetworkAuthentication", name: "outside-the-mesh" });
    server("mcp-metrics", "mcp-server", PORTS.metrics, "HTTP/1");
    authorize("mcp-metrics", { kind: "NetworkAuthentication", name: "outside-the-mesh" });

    if (props.rateLimitStore) {
      server("rate-limit-store", "rate-limit-store", PORTS.valkey, "opaque");
      meshClients("rate-limit-store-clients", [NAMES.mcp]);
      authorize("rate-limit-store", { kind: "MeshTLSAuthentication", name: "rate-limit-store-clients" });
    }

    if (props.objectStore) {
      server("object-store-s3", "object-store", PORTS.objectStore, "HTTP/1");
      meshClients("object-store-clients", [NAMES.backup]);
      authorize("object-store-s3", { kind: "MeshTLSAuthentication", name: "object-store-clients" });
    }
  }
}
