// The Kubernetes client configuration of an operator command: --kubeconfig FILE (else the
// default: KUBECONFIG, ~/.kube/config or in-cluster) and --context NAME. Loaded lazily, so the
// commands that never talk to a cluster do not load the client.
import type { KubeConfig } from "@kubernetes/client-node";

export async function loadKubeConfig(options: {
  kubeconfig?: string | undefined;
  context?: string | undefined;
}): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else config.loadFromDefault();
  if (options.context) {
    if (!config.getContexts().some((context) => context.name === options.context))
      throw new Error(`the kubeconfig has no context named ${options.context}`);
    config.setCurrentContext(options.context);
  }
  return config;
}

/**
 * Fails fast, naming the server and the reason, when the kubeconfig's cluster does not answer
 * (the engine would otherwise retry for many minutes). Any HTTP answer counts as reachable.
 */
export async function assertReachable(config: KubeConfig, timeoutMs = 10_000): Promise<void> {
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig names no cluster server for its current context");
  const https = await import("node:https");
  const options: import("node:https").RequestOptions = { method: "GET", timeout: timeoutMs };
  await config.applyToHTTPSOptions(options);
  await new Promise<void>((resolve, reject) => {
    const request = https.request(new URL("/version", server), options, (response) => {
      response.resume();
      resolve();
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on("error", (error) => reject(new Error(`cannot reach the cluster at ${server}: ${error.message}`)));
    request.end();
  });
}
