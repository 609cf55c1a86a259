// Reading a backup's data object in ranges from real MinIO: the ranges are of one object
// version, so an object replaced while it is read is refused, never spliced.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { BackupStore } from "../src/backup/storage.js";
import { testBackupStore } from "./support/backup-cli.js";

describe("ranged reads of a backup object", () => {
  let store: BackupStore;
  const key = "backups/neo4j/ranged-read-test/data.jsonl.gz";
  const original = randomBytes(3 * 1024 * 1024);

  before(async () => {
    store = await testBackupStore("storage-test");
    await store.client.send(new PutObjectCommand({ Bucket: store.s3.bucket, Key: key, Body: original }));
  });
  after(async () => {
    await store?.client.send(new DeleteObjectCommand({ Bucket: store.s3.bucket, Key: key }));
    store?.client.destroy();
  });

  it("reads the whole object in ranges and reports the ETag it read", async () => {
    const version: { etag?: string } = {};
    const parts: Buffer[] = [];
    for await (const part of store.rangedObject(key, original.length, version, 1024 * 1024)) parts.push(part as Buffer);
    assert.equal(parts.length, 3);
    assert.ok(Buffer.concat(parts).equals(original));
    assert.match(version.etag ?? "", /^"[0-9a-f-]+"$/);
  });

  it("refuses to go on once the object is replaced mid-read, and refuses a version other than the one asked for", async () => {
    const version: { etag?: string } = {};
    const range = 256 * 1024;
    const reader = store.rangedObject(key, original.length, version, range)[Symbol.asyncIterator]();
    assert.equal(((await reader.next()).value as Buffer).length, range);
    const replacement = randomBytes(original.length);
    await store.client.send(new PutObjectCommand({ Bucket: store.s3.bucket, Key: key, Body: replacement }));
    // The stream may have fetched a range ahead before the replacement; the ranges after it are refused.
    const after: Buffer[] = [];
    await assert.rejects(async () => {
      for (let next = await reader.next(); !next.done; next = await reader.next()) after.push(next.value as Buffer);
    }, /changed while it was being read/);
    assert.ok(after.length < original.length / range - 1, `refused after ${after.length} more ranges`);
    assert.ok(
      Buffer.concat(after).equals(original.subarray(range, range * (after.length + 1))),
      "every range read is of the first version",
    );

    const stale: Buffer[] = [];
    await assert.rejects(async () => {
      for await (const part of store.rangedObject(key, original.length, { etag: version.etag }, 1024 * 1024))
        stale.push(part as Buffer);
    }, /changed while it was being read/);
    assert.equal(stale.length, 0, "not one byte of the other version");
  });
});
