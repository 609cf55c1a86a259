// The Kubernetes client configuration of an operator command: --kubeconfig FILE (else the
// default: KUBECONFIG, ~/.kube/config or in-cluster) and --context NAME. Loaded lazily, so the
// commands that never talk to a cluster do not load the client.
import type { KubeConfig } from "@kubernetes/client-node";

export async function loadKubeConfig(options: { kubeconfig?: string | undefined; context?: string | undefined }): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) {
    if (!config.getContexts().some((context) => context.name === options.context)) throw new Error(`the kubeconfig has no context named ${options.context}`);
    config.setCurrentContext(options.context);
  }
  return config;
}
