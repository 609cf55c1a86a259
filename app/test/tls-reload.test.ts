// HTTPS from rotating certificate files: the server reloads a replaced pair without dropping a
// request or a connection, refuses a broken rotation and keeps serving the pair it has.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, symlink, writeFile, mkdir, copyFile } from "node:fs/promises";
import { Agent, request, type RequestOptions } from "node:https";
import type { TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig } from "../src/config.js";
import {
  createTestCa,
  issueServerCertificate,
  type IssuedCertificate,
  type TestCa,
} from "../../scripts/dev-services/dev-pki.js";
import { startTestServer, type TestServer } from "./support/harness.js";

let work: string;
let ca: TestCa;
let caPem: Buffer;
let first: IssuedCertificate;
let mounted: string;
let server: TestServer;
let generation = 0;

/**
 * Writes a pair the way the kubelet updates a Secret volume: into a new timestamped directory,
 * then one atomic rename of the ..data symlink that tls.crt and tls.key point through.
 */
async function mountPair(certPem: Buffer | string, keyPem: Buffer | string): Promise<void> {
  generation += 1;
  const version = `..${Date.now()}_${generation}`;
  await mkdir(path.join(mounted, version));
  await writeFile(path.join(mounted, version, "tls.crt"), certPem);
  await writeFile(path.join(mounted, version, "tls.key"), keyPem);
  await symlink(version, path.join(mounted, "..data_tmp"));
  await rename(path.join(mounted, "..data_tmp"), path.join(mounted, "..data"));
}

const fingerprintOf = async (file: string) => new X509Certificate(await readFile(file)).fingerprint256;

interface Probe {
  status: number;
  fingerprint256: string;
  /** Whether the request went over a connection that an earlier request had opened. */
  reused: boolean;
}

function get(url: string, options: RequestOptions): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, ca: caPem, method: "GET" }, (res) => {
      const socket = res.socket as TLSSocket;
      res.resume();
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          fingerprint256: socket.getPeerCertificate().fingerprint256,
          reused: req.reusedSocket,
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mcp-bastion-tls-"));
  ca = await createTestCa(path.join(work, "ca"));
  caPem = await readFile(ca.certFile);
  first = await issueServerCertificate(ca, "first");
  mounted = path.join(work, "mounted");
  await mkdir(mounted);
  await mountPair(await readFile(first.certFile), await readFile(first.keyFile));
  await symlink("..data/tls.crt", path.join(mounted, "tls.crt"));
  await symlink("..data/tls.key", path.join(mounted, "tls.key"));
  server = await startTestServer({
    MCP_TLS_CERT_FILE: path.join(mounted, "tls.crt"),
    MCP_TLS_KEY_FILE: path.join(mounted, "tls.key"),
    // The directory watch should reload at once; the periodic check is the slow safety net.
    MCP_TLS_RELOAD_SECONDS: "30",
  });
});
after(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

describe("TLS from rotating certificate files", () => {
  test("serves HTTPS with the mounted certificate, trusted through the CA", async () => {
    assert.match(server.baseUrl, /^https:/);
    const probe = await get(`${server.baseUrl}/healthz`, { agent: false });
    assert.equal(probe.status, 200);
    assert.equal(probe.fingerprint256, await fingerprintOf(first.certFile));
    assert.equal(server.config.resourceUrl, `${server.baseUrl}/mcp`);
  });

  test("a rotation under continuous load fails no request; new connections get the new certificate, open ones stay up", async () => {
    const second = await issueServerCertificate(ca, "second");
    const [before, after] = [await fingerprintOf(first.certFile), await fingerprintOf(second.certFile)];
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 2, ca: caPem });
    const failures: string[] = [];
    const seen = { fresh: new Set<string>(), reusedAfterRotation: 0 };
    let rotatedAt = Infinity;
    let stop = false;
    const worker = async (options: RequestOptions, fresh: boolean) => {
      let requests = 0;
      while (!stop) {
        try {
          const probe = await get(`${server.baseUrl}/healthz`, options);
          requests += 1;
          if (probe.status !== 200) failures.push(`status ${probe.status}`);
          if (fresh) seen.fresh.add(probe.fingerprint256);
          else if (probe.reused && Date.now() > rotatedAt + 500) {
            // A connection opened before the rotation keeps its certificate and keeps working.
            if (probe.fingerprint256 === before) seen.reusedAfterRotation += 1;
          }
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      return requests;
    };
    const workers = [
      worker({ agent: keepAlive }, false),
      worker({ agent: keepAlive }, false),
      worker({ agent: false }, true),
      worker({ agent: false }, true),
    ];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const reloadsBefore = server.server.certificates?.reloads ?? 0;
    await mountPair(await readFile(second.certFile), await readFile(second.keyFile));
    rotatedAt = Date.now();
    const deadline = Date.now() + 10_000;
    while ((server.server.certificates?.reloads ?? 0) === reloadsBefore && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const reloadSeconds = (Date.now() - rotatedAt) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stop = true;
    const counts = await Promise.all(workers);
    keepAlive.destroy();

    assert.deepEqual(failures, [], "no request failed during the rotation");
    assert.ok(reloadSeconds < 5, `reloaded by the directory watch, not the 30 s check (took ${reloadSeconds} s)`);
    assert.ok(
      counts.every((count) => count > 10),
      `every worker kept being served: ${counts.join(", ")}`,
    );
    assert.ok(
      seen.fresh.has(before) && seen.fresh.has(after),
      "new connections moved from the first certificate to the second",
    );
    assert.ok(seen.reusedAfterRotation > 0, "connections opened before the rotation were not dropped");
    const probe = await get(`${server.baseUrl}/healthz`, { agent: false });
    assert.equal(probe.fingerprint256, after);
    assert.ok(server.logs.some((line) => line.includes("TLS certificate reloaded") && line.includes(after)));
  });

  test("a broken rotation is refused: the previous certificate keeps being served until a good pair arrives", async () => {
    const current = (await get(`${server.baseUrl}/healthz`, { agent: false })).fingerprint256;
    const third = await issueServerCertificate(ca, "third");
    const other = await issueServerCertificate(ca, "other");
    // A key that belongs to another certificate, then a truncated certificate.
    for (const [cert, key] of [
      [await readFile(third.certFile), await readFile(other.keyFile)],
      [(await readFile(third.certFile)).subarray(0, 200), await readFile(third.keyFile)],
    ] as const) {
      const warnings = server.logs.length;
      await mountPair(cert, key);
      await server.server.certificates?.check();
      const probe = await get(`${server.baseUrl}/healthz`, { agent: false });
      assert.equal(probe.status, 200);
      assert.equal(probe.fingerprint256, current, "still the previous certificate");
      assert.ok(
        server.logs.slice(warnings).some((line) => line.includes("TLS certificate files not reloaded")),
        "the refusal is logged",
      );
    }
    await mountPair(await readFile(third.certFile), await readFile(third.keyFile));
    await server.server.certificates?.check();
    assert.equal(
      (await get(`${server.baseUrl}/healthz`, { agent: false })).fingerprint256,
      await fingerprintOf(third.certFile),
    );
  });
});

describe("TLS settings", () => {
  const base = {
    NODE_ENV: "test",
    AUTH_ISSUER: "https://issuer.test",
    AUTH_JWKS_FILE: "/dev/null",
    NEO4J_URI: "bolt://127.0.0.1:7687",
    NEO4J_PASSWORD_FILE: "",
  };

  test("one of the two files alone is refused by name", async () => {
    const passwordFile = path.join(work, "password");
    await writeFile(passwordFile, "secret");
    await assert.rejects(
      loadConfig({ ...base, NEO4J_PASSWORD_FILE: passwordFile, MCP_TLS_CERT_FILE: first.certFile }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /MCP_TLS_KEY_FILE: set both MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE/);
        return true;
      },
    );
  });

  test("a server does not start with a key that is not its certificate's", async () => {
    const stray = path.join(work, "stray");
    await mkdir(stray);
    const other = await issueServerCertificate(ca, "stray");
    await copyFile(first.certFile, path.join(stray, "tls.crt"));
    await copyFile(other.keyFile, path.join(stray, "tls.key"));
    await assert.rejects(
      startTestServer({
        MCP_TLS_CERT_FILE: path.join(stray, "tls.crt"),
        MCP_TLS_KEY_FILE: path.join(stray, "tls.key"),
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /does not belong to the certificate/);
        return true;
      },
    );
  });
});
