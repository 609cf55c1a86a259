// A loopback TCP proxy that a test can cut and restore: the way to make a real service
// unreachable (a network partition) without stopping the instance the whole run shares. With a
// certificate it terminates TLS in front of a plaintext service, and can change certificate.
import { connect, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";

export interface TcpProxy {
  readonly port: number;
  /** Drops every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** TLS proxies: serve this certificate to connections made from now on. */
  setCertificate(pair: { cert: Buffer; key: Buffer }): void;
}

export interface TcpProxyOptions {
  tls?: { cert: Buffer; key: Buffer };
  /** Where the proxy listens. @default 127.0.0.1, a port the kernel chooses */
  listen?: { host: string; port: number };
}

export async function startTcpProxy(
  targetHost: string,
  targetPort: number,
  options: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let accepted = 0;
  const onConnection = (client: Socket) => {
    if (!open) return client.destroy();
    accepted += 1;
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  };
  const server: Server | TlsServer = options.tls
    ? createTlsServer({ ...options.tls, minVersion: "TLSv1.2" }, onConnection)
    : createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen?.port ?? 0, options.listen?.host ?? "127.0.0.1", resolve);
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("proxy has no address");
  return {
    port: address.port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    get accepted() {
      return accepted;
    },
    setCertificate(pair) {
      if (!("setSecureContext" in server)) throw new Error("this proxy does not terminate TLS");
      server.setSecureContext({ ...pair, minVersion: "TLSv1.2" });
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
