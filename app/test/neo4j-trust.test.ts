// The server's trust in Neo4j comes from a CA bundle file that rotates: new connections are
// verified against the bundle as it is now, pooled ones keep working, no request fails. Neo4j
// sits behind a TLS-terminating proxy whose certificate the test switches to a new CA.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import neo4j from "neo4j-driver";
import { ConfigError, loadConfig } from "../src/config.js";
import { createTestCa, issueServerCertificate } from "../../scripts/dev-services/dev-pki.js";
import { startTcpProxy, type TcpProxy } from "../../scripts/dev-services/tcp-proxy.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

let work: string;
let bundle: string;
let proxy: TcpProxy;
let server: TestServer;
const pem: Record<"caA" | "caB" | "certA" | "keyA" | "certB" | "keyB", Buffer> = {} as never;

/** Replaces the bundle in one rename, the way trust-manager's mounted ConfigMap changes. */
async function writeBundle(...cas: Buffer[]): Promise<void> {
  await writeFile(`${bundle}.next`, Buffer.concat(cas));
  await rename(`${bundle}.next`, bundle);
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-neo4j-trust-"));
  const caA = await createTestCa(path.join(work, "a"), "old CA");
  const caB = await createTestCa(path.join(work, "b"), "new CA");
  const leafA = await issueServerCertificate(caA, "neo4j");
  const leafB = await issueServerCertificate(caB, "neo4j");
  Object.assign(pem, {
    caA: await readFile(caA.certFile),
    caB: await readFile(caB.certFile),
    certA: await readFile(leafA.certFile),
    keyA: await readFile(leafA.keyFile),
    certB: await readFile(leafB.certFile),
    keyB: await readFile(leafB.keyFile),
  });
  bundle = path.join(work, "ca.crt");
  await writeBundle(pem.caA);
  const target = new URL((process.env.NEO4J_URI ?? "").replace(/^bolt/, "http"));
  proxy = await startTcpProxy(target.hostname, Number(target.port), { tls: { cert: pem.certA, key: pem.keyA } });
  server = await startTestServer({
    NEO4J_URI: `bolt+s://127.0.0.1:${proxy.port}`,
    NEO4J_CA_FILE: bundle,
    RATE_LIMIT_PER_MINUTE: "100000",
    RATE_LIMIT_BURST: "10000",
  });
});
after(async () => {
  await server?.close();
  await proxy?.close();
  await rm(work, { recursive: true, force: true });
});

describe("Neo4j trust bundle rotation", () => {
  test("the server talks to Neo4j over TLS verified by the bundle", async () => {
    const { records } = await server.server.driver.executeQuery("RETURN 1 AS one");
    assert.equal(records[0]?.get("one"), 1);
    assert.ok(proxy.accepted > 0, "the connection went through the TLS proxy");
  });

  test("a CA rotation under load fails no request, and new connections trust the new CA", async () => {
    const token = await server.mint({ sub: uniqueSub("trust"), roles: ["admin"] });
    const failures: string[] = [];
    let calls = 0;
    let stop = false;
    // security_stats reads Neo4j on every call.
    const load = Array.from({ length: 3 }, async () => {
      while (!stop) {
        const response = await callTool(server, token, "security_stats");
        calls += 1;
        const body = await response.text();
        if (response.status !== 200 || body.includes('"isError":true'))
          failures.push(`${response.status} ${body.slice(0, 200)}`);
      }
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await pause(1_000);
    // trust-manager's order: both CAs in the bundle, then the new certificate, then the old CA out.
    await writeBundle(pem.caA, pem.caB);
    await pause(500);
    proxy.setCertificate({ cert: pem.certB, key: pem.keyB });
    await pause(500);
    await writeBundle(pem.caB);
    const acceptedBefore = proxy.accepted;
    // More queries at once than the pool holds: the pool opens new connections, which meet the
    // new certificate and must trust it from the bundle as it is now.
    const burst = await Promise.allSettled(
      Array.from({ length: 40 }, () =>
        server.server.driver.executeQuery("UNWIND range(1, 20000) AS i RETURN count(i) AS n"),
      ),
    );
    await pause(1_000);
    stop = true;
    await Promise.all(load);

    assert.deepEqual(
      burst
        .filter((result) => result.status === "rejected")
        .map((result) => String((result as PromiseRejectedResult).reason)),
      [],
    );
    assert.ok(
      proxy.accepted > acceptedBefore,
      `new connections were made after the rotation (${proxy.accepted - acceptedBefore})`,
    );
    assert.deepEqual(failures, [], "no tool call failed during the rotation");
    assert.ok(calls > 10, `the load kept being served (${calls} calls)`);
    assert.ok(server.server.securityState.isFresh, "the revocation pulls kept working");
  });

  test("the control: a client still trusting only the old CA cannot connect any more", async () => {
    const stale = path.join(work, "stale-ca.crt");
    await writeFile(stale, pem.caA);
    const password = (await readFile(process.env.NEO4J_PASSWORD_FILE ?? "", "utf8")).trim();
    const driver = neo4j.driver(
      `bolt://127.0.0.1:${proxy.port}`,
      neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", password),
      {
        encrypted: "ENCRYPTION_ON",
        trust: "TRUST_CUSTOM_CA_SIGNED_CERTIFICATES",
        trustedCertificates: [stale],
        connectionTimeout: 3_000,
      },
    );
    try {
      await assert.rejects(driver.verifyConnectivity());
    } finally {
      await driver.close();
    }
  });

  test("a missing or non-PEM bundle stops the start, named", async () => {
    const env = {
      NODE_ENV: "test",
      AUTH_ISSUER: "https://issuer.test",
      AUTH_JWKS_FILE: "/dev/null",
      NEO4J_URI: "bolt+s://127.0.0.1:7687",
      NEO4J_PASSWORD_FILE: bundle,
    };
    const garbage = path.join(work, "garbage.crt");
    await writeFile(garbage, "not a certificate");
    for (const [file, problem] of [
      [path.join(work, "absent.crt"), /NEO4J_CA_FILE: cannot read the file/],
      [garbage, /NEO4J_CA_FILE: the file .* holds no PEM certificate/],
    ] as const) {
      await assert.rejects(
        loadConfig({ ...env, NEO4J_CA_FILE: file }),
        (error: unknown) => error instanceof ConfigError && problem.test(error.message),
      );
    }
    await assert.rejects(
      loadConfig({ ...env, NEO4J_URI: "bolt+ssc://127.0.0.1:7687", NEO4J_CA_FILE: bundle }),
      /\+ssc skips certificate checks/,
    );
  });
});
