// Neo4j unreachable mid-run: every authenticated request is denied with 503 (never allowed on
// stale state), /readyz reports not ready, and service resumes once the store is back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTcpProxy, type TcpProxy } from "../../scripts/dev-services/tcp-proxy.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let proxy: TcpProxy;
let server: TestServer;
before(async () => {
  const target = new URL((process.env.NEO4J_URI ?? "").replace(/^bolt:/, "http:"));
  proxy = await startTcpProxy(target.hostname, Number(target.port));
  server = await startTestServer({ NEO4J_URI: `bolt://127.0.0.1:${proxy.port}`, SECURITY_MAX_STALENESS_MS: "1000" });
});
after(async () => {
  proxy.restore();
  await server.close();
  await proxy.close();
});

async function waitForStatus(token: string, status: number, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await callTool(server, token, "whoami")).status === status) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`no ${status} within ${withinMs} ms`);
}

test("Neo4j unreachable -> 503 within the staleness bound, then service resumes", async () => {
  const token = await server.mint({ sub: uniqueSub("outage"), roles: ["guest"] });
  assert.equal((await callTool(server, token, "whoami")).status, 200);
  assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200);

  proxy.cut();
  const deniedAfter = await waitForStatus(token, 503, 5_000);
  assert.ok(deniedAfter <= server.config.securitySync.maxStalenessMs + 500, `denied after ${deniedAfter} ms`);
  const denied = await callTool(server, token, "whoami");
  assert.equal(denied.status, 503);
  assert.equal(denied.headers.get("retry-after"), "1");
  assert.doesNotMatch(await denied.text(), /bolt|127\.0\.0\.1|Neo4j/i, "the 503 says nothing about the backend");
  assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 503);
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200, "the process itself is alive");

  // Invalid tokens are not let through either while the store is down.
  assert.equal((await callTool(server, "garbage.garbage.garbage", "whoami")).status, 503);

  proxy.restore();
  await waitForStatus(token, 200, 15_000);
  assert.equal((await fetch(`${server.baseUrl}/readyz`)).status, 200);
});

test("a server started while Neo4j is unreachable comes up not ready, denies, and recovers", async () => {
  const target = new URL((process.env.NEO4J_URI ?? "").replace(/^bolt:/, "http:"));
  const downProxy = await startTcpProxy(target.hostname, Number(target.port));
  downProxy.cut();
  const started = Date.now();
  const late = await startTestServer(
    { NEO4J_URI: `bolt://127.0.0.1:${downProxy.port}`, SECURITY_MAX_STALENESS_MS: "1000" },
    { keys: server.keys },
  );
  try {
    assert.ok(Date.now() - started < 30_000, "start-up is not held hostage by the store");
    assert.equal((await fetch(`${late.baseUrl}/readyz`)).status, 503);
    const token = await late.mint({ sub: uniqueSub("late"), roles: ["guest"] });
    assert.equal((await callTool(late, token, "whoami")).status, 503);

    downProxy.restore();
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${late.baseUrl}/readyz`)).status !== 200) {
      assert.ok(Date.now() < deadline, "never became ready after the store came back");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await callTool(late, token, "whoami")).status, 200);
  } finally {
    await late.close();
    await downProxy.close();
  }
});
