// Rate limits shared across replicas in a real redis-server: two replicas of one deployment
// together allow the configured burst, not twice it; with the store stopped they deny with 503
// and say why; once it is back they serve again.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { startRedis, type RedisInstance } from "../../scripts/dev-services/redis.js";
import { callTool, startTestServer, uniqueSub, type TestServer } from "./support/harness.js";

const BURST = 4;
let dir: string;
let redis: RedisInstance;
let replicas: [TestServer, TestServer];

async function startStore(port?: number): Promise<RedisInstance> {
  return startRedis({
    dir: path.join(dir, "redis"),
    logFile: path.join(dir, "redis.log"),
    password: redis?.password ?? randomBytes(24).toString("hex"),
    ...(port ? { port } : {}),
  });
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-shared-limits-"));
  redis = await startStore();
  const passwordFile = path.join(dir, "store-password");
  await writeFile(passwordFile, `${redis.password}\n`, { mode: 0o600 });
  // One token a minute: nothing refills while the test runs, so every count is exact.
  const env = {
    RATE_LIMIT_PER_MINUTE: "1",
    RATE_LIMIT_BURST: String(BURST),
    RATE_LIMIT_STORE_URL: redis.url,
    RATE_LIMIT_STORE_PASSWORD_FILE: passwordFile,
  };
  const first = await startTestServer(env);
  const second = await startTestServer(env, { keys: first.keys, port: Number(new URL(first.baseUrl).port) });
  replicas = [first, second];
});

after(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await redis.process.stop();
  await rm(dir, { recursive: true, force: true });
});

const statuses = async (token: string, calls: number): Promise<number[]> => {
  const seen: number[] = [];
  for (let i = 0; i < calls; i++) seen.push((await callTool(replicas[i % 2] as TestServer, token, "whoami")).status);
  return seen;
};

describe("rate limits shared by two replicas through redis-server", () => {
  test("together they allow the burst once, not once per replica, and the refusal says when to retry", async () => {
    const token = await replicas[0].mint({ sub: uniqueSub("shared"), roles: ["guest"] });
    const seen = await statuses(token, 2 * BURST);
    assert.deepEqual(
      seen,
      [...Array<number>(BURST).fill(200), ...Array<number>(BURST).fill(429)],
      "calls alternate between the replicas",
    );
    const refused = await callTool(replicas[1], token, "whoami");
    assert.equal(refused.status, 429);
    // One token a minute: the store's own clock says when the next one comes.
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter > 50 && retryAfter <= 60, `retry-after ${retryAfter}`);
    const other = await replicas[1].mint({ sub: uniqueSub("other"), roles: ["guest"] });
    assert.equal((await callTool(replicas[1], other, "whoami")).status, 200, "another user has a bucket of their own");
  });

  test("the store's user (the in-cluster Valkey's ACL) takes tokens but may run no admin or dangerous command", async () => {
    const client = new Redis({
      host: "127.0.0.1",
      port: redis.port,
      password: redis.password,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
    });
    try {
      for (const command of [
        ["flushall"],
        ["config", "get", "requirepass"],
        ["keys", "*"],
        ["acl", "list"],
        ["save"],
      ] as const) {
        await assert.rejects(
          client.call(...(command as unknown as [string, ...string[]])),
          /NOPERM/,
          command.join(" "),
        );
      }
      assert.ok((await client.dbsize()) > 0, "the buckets the replicas took are there");
    } finally {
      client.disconnect();
    }
  });

  test("with the store stopped every replica denies with 503 and names the store, audited; then serves again once it is back", async () => {
    const sub = uniqueSub("outage");
    const token = await replicas[0].mint({ sub, roles: ["guest"] });
    const port = redis.port;
    await redis.process.stop();
    for (const replica of replicas) {
      const denied = await callTool(replica, token, "whoami");
      assert.equal(denied.status, 503);
      assert.equal(denied.headers.get("retry-after"), "1");
      assert.deepEqual(await denied.json(), {
        error: "unavailable",
        message: "the server cannot check rate limits right now (its rate-limit store is unreachable)",
      });
    }
    // Each replica audits its own denial: both queues are written before the audit is read.
    for (const replica of replicas) await replica.server.app.auditor.flush();
    const { records } = await replicas[0].server.driver.executeQuery(
      "MATCH (e:AuditEvent {kind: 'rate_limit', principal: $sub}) RETURN e.reason AS reason",
      { sub },
    );
    assert.deepEqual(
      records.map((record) => record.get("reason")),
      ["rate_limit_store_unavailable", "rate_limit_store_unavailable"],
      "one denial audited by each replica",
    );

    redis = await startStore(port);
    const deadline = Date.now() + 15_000;
    let status = 503;
    while (status === 503 && Date.now() < deadline) {
      status = (await callTool(replicas[1], token, "whoami")).status;
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 200, "the replica reconnected by itself");
    assert.equal((await callTool(replicas[0], token, "whoami")).status, 200);
  });
});
