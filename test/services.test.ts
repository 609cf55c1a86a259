// Smoke tests: the services started by the project's own launchers are real and reachable the
// way the app and the backup scripts reach them.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import neo4j from "neo4j-driver";
import { neo4jAccess, s3Access, s3Client } from "./support/service-env.js";

function isUnauthorized(error: { code?: string }): boolean {
  assert.equal(error.code, "Neo.ClientError.Security.Unauthorized");
  return true;
}

describe("Neo4j", () => {
  const access = neo4jAccess();
  const driver = neo4j.driver(access.uri, neo4j.auth.basic(access.user, access.password));
  after(() => driver.close());

  test("listens on loopback only", () => {
    assert.match(access.uri, /^bolt:\/\/127\.0\.0\.1:\d+$/);
  });

  test("accepts the generated password and runs a write and a read", async () => {
    const marker = randomUUID();
    await driver.executeQuery("CREATE (:SmokeTest {marker: $marker, n: 42})", { marker });
    const { records } = await driver.executeQuery("MATCH (s:SmokeTest {marker: $marker}) RETURN s.n AS n", { marker });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.get("n").toNumber(), 42);
    await driver.executeQuery("MATCH (s:SmokeTest {marker: $marker}) DELETE s", { marker });
  });

  test("refuses a wrong password", async () => {
    const intruder = neo4j.driver(access.uri, neo4j.auth.basic(access.user, `${access.password}-wrong`));
    try {
      await assert.rejects(intruder.executeQuery("RETURN 1"), isUnauthorized);
    } finally {
      await intruder.close();
    }
  });

  test("refuses the well-known default password", async () => {
    const intruder = neo4j.driver(access.uri, neo4j.auth.basic("neo4j", "neo4j"));
    try {
      await assert.rejects(intruder.executeQuery("RETURN 1"), isUnauthorized);
    } finally {
      await intruder.close();
    }
  });
});

describe("MinIO through the AWS SDK", () => {
  const access = s3Access();
  const s3 = s3Client(access);
  after(() => s3.destroy());

  test("creates a bucket and puts, lists and gets an object with path-style addressing", async () => {
    const bucket = `smoke-${randomUUID()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/hello.txt", Body: "hello, bastion" }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir/" }));
    assert.deepEqual(
      listed.Contents?.map((object) => object.Key),
      ["dir/hello.txt"],
    );
    const fetched = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello.txt" }));
    assert.equal(await fetched.Body?.transformToString(), "hello, bastion");
  });

  test("refuses a wrong secret key", async () => {
    const intruder = new S3Client({
      endpoint: access.endpoint,
      region: access.region,
      forcePathStyle: true,
      credentials: { accessKeyId: access.accessKeyId, secretAccessKey: "not-the-secret" },
    });
    try {
      await assert.rejects(intruder.send(new ListObjectsV2Command({ Bucket: "anything" })), /signature/i);
    } finally {
      intruder.destroy();
    }
  });
});
