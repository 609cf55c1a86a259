// cert-manager issues and rotates every certificate of the kit: a self-signed root, a CA
// ClusterIssuer over it (or ACME for the public host), trust-manager distributing the root, and
// short-lived internal certificates. Every Certificate: ECDSA, rotationPolicy Always, explicit
// duration and renewBefore (common.ts's certificate()).
import { ApiObject, Chart } from "cdk8s";
import type { Construct } from "constructs";
import {
  CA_LIFETIME,
  INTERNAL_LIFETIME,
  NAMES,
  PUBLIC_LIFETIME,
  certificate,
  clusterIssuer,
  issuerNames,
  objectLabels,
} from "./common.js";
import { TRUST_BUNDLE_LABEL, mcpDnsNames, neo4jDnsNames, valkeyDnsNames } from "./addresses.js";

/** The public endpoint's certificate from an ACME CA (Let's Encrypt), solved over HTTP-01. */
export interface AcmeProps {
  /** The account's contact address. */
  readonly email: string;
  /** The ACME directory. */
  readonly server: string;
}

export interface PkiProps {
  /** The kit's namespace: its certificates live there, and its ClusterIssuers are named after it. */
  readonly namespace: string;
  /**
   * cert-manager's namespace, where a ClusterIssuer's CA secret must be (the root lives there).
   * @default "cert-manager"
   */
  readonly certManagerNamespace?: string;
  /** The public host name the MCP endpoint's certificate is for. */
  readonly mcpHost: string;
  /**
   * Issue the public certificate from ACME instead of the kit's own CA.
   * @default undefined: the kit's CA issues it
   */
  readonly acme?: AcmeProps;
  /**
   * The ingress class that serves ACME's HTTP-01 challenges.
   * @default "nginx"
   */
  readonly ingressClassName?: string;
  /**
   * The ingress controller's namespace (its client certificate's common name).
   * @default "ingress-nginx"
   */
  readonly ingressNamespace?: string;
  /**
   * Issue the in-cluster rate-limit store's serving certificate (rateLimitStore valkey).
   * @default false
   */
  readonly valkeyCertificate?: boolean;
}

export class PkiChart extends Chart {
  constructor(scope: Construct, id: string, props: PkiProps) {
    super(scope, id, { labels: objectLabels("platform") });
    const { namespace, mcpHost, acme } = props;
    const certManagerNamespace = props.certManagerNamespace ?? "cert-manager";
    const ingressClassName = props.ingressClassName ?? "nginx";
    const ingressNamespace = props.ingressNamespace ?? "ingress-nginx";
    const issuers = issuerNames(namespace);

    clusterIssuer(this, issuers.selfSigned, { selfSigned: {} });
    // cert-manager reads a ClusterIssuer's CA secret from its own namespace.
    certificate(this, {
      name: issuers.rootCa,
      namespace: certManagerNamespace,
      secretName: issuers.rootCa,
      issuer: issuers.selfSigned,
      isCA: true,
      commonName: `${namespace} root CA`,
      ...CA_LIFETIME,
    });
    clusterIssuer(this, issuers.ca, { ca: { secretName: issuers.rootCa } });

    if (acme) {
      clusterIssuer(this, issuers.acme, {
        acme: {
          server: acme.server,
          email: acme.email,
          privateKeySecretRef: { name: `${issuers.acme}-account` },
          solvers: [{ http01: { ingress: { ingressClassName } } }],
        },
      });
    }
    certificate(this, {
      name: NAMES.publicTls,
      namespace,
      secretName: NAMES.publicTls,
      issuer: acme ? issuers.acme : issuers.ca,
      dnsNames: [mcpHost],
      ...PUBLIC_LIFETIME,
    });
    certificate(this, {
      name: NAMES.neo4jTls,
      namespace,
      secretName: NAMES.neo4jTls,
      issuer: issuers.ca,
      dnsNames: neo4jDnsNames(namespace),
      ...INTERNAL_LIFETIME,
    });

    if (props.valkeyCertificate) {
      certificate(this, {
        name: NAMES.valkeyTls,
        namespace,
        secretName: NAMES.valkeyTls,
        issuer: issuers.ca,
        dnsNames: valkeyDnsNames(namespace),
        ...INTERNAL_LIFETIME,
      });
    }

    // The ingress controller sits outside the mesh, so Linkerd's mTLS does not cover its hop to
    // the MCP pod: the pod serves TLS itself and the controller verifies it against the kit's CA.
    certificate(this, {
      name: NAMES.mcpTls,
      namespace,
      secretName: NAMES.mcpTls,
      issuer: issuers.ca,
      dnsNames: mcpDnsNames(namespace),
      ...INTERNAL_LIFETIME,
    });
    // ingress-nginx reads the CA to verify with from the same Secret as its client certificate
    // (proxy-ssl-secret); a Secret of its own keeps the server's key out of the controller.
    certificate(this, {
      name: NAMES.ingressClientTls,
      namespace,
      secretName: NAMES.ingressClientTls,
      issuer: issuers.ca,
      commonName: `${ingressNamespace} ingress controller`,
      usages: ["client auth", "digital signature"],
      ...INTERNAL_LIFETIME,
    });

    // trust-manager puts the root (never its key) into a ConfigMap in the kit's namespace.
    new ApiObject(this, "ca-bundle", {
      apiVersion: "trust.cert-manager.io/v1alpha1",
      kind: "Bundle",
      metadata: { name: NAMES.caBundle },
      spec: {
        sources: [{ secret: { name: issuers.rootCa, key: "ca.crt" } }],
        target: { configMap: { key: "ca.crt" }, namespaceSelector: { matchLabels: TRUST_BUNDLE_LABEL } },
      },
    });
  }
}
