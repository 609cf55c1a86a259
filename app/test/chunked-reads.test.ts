// The driver's reads of messages longer than one Bolt chunk: byte for byte what the message
// holds, for any chunking and any order of reads, and large values through real Neo4j.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import type { Driver } from "neo4j-driver";
import { backupDriver } from "../src/backup/driver.js";
import { combinedBufferClass, installChunkCursor } from "../src/store/chunked-reads.js";
import { createDriver } from "../src/store/driver.js";
import { neo4jAccess } from "../../test/support/service-env.js";

interface DriverBuffer {
  length: number;
  position: number;
  getUInt8(position: number): number;
  getInt8(position: number): number;
  getFloat64(position: number): number;
  cursorIndex?: number;
}

const boltRequire = createRequire(
  createRequire(createRequire(import.meta.url).resolve("neo4j-driver")).resolve("neo4j-driver-bolt-connection"),
);
const ChannelBuffer = (boltRequire("./channel/channel-buf.js") as { default: new (buffer: Buffer) => DriverBuffer })
  .default;
const CombinedBuffer = combinedBufferClass() as unknown as new (chunks: DriverBuffer[]) => DriverBuffer;
const { Unpacker } = boltRequire("./packstream/packstream-v1.js") as {
  Unpacker: new () => { unpack(buffer: DriverBuffer): unknown };
};

/** `bytes` cut into chunks of the given sizes (the last takes the rest), as the Dechunker hands them on. */
function chunked(bytes: Buffer, sizes: number[]): DriverBuffer {
  const chunks: DriverBuffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= bytes.length) break;
    chunks.push(new ChannelBuffer(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  if (offset < bytes.length) chunks.push(new ChannelBuffer(bytes.subarray(offset)));
  return new CombinedBuffer(chunks);
}

const randomSizes = (count: number, max: number) =>
  Array.from({ length: count }, () => 1 + Math.floor(Math.random() * max));

describe("reads of multi-chunk Bolt messages", () => {
  // First, before anything else in this file installs it.
  it("is installed on the driver's own CombinedBuffer by the drivers the kit creates", async () => {
    const access = neo4jAccess();
    const probe = () => {
      const buffer = chunked(Buffer.alloc(30), [10, 10]);
      assert.equal(buffer.getUInt8(25), 0);
      return buffer.cursorIndex;
    };
    assert.equal(probe(), undefined, "the driver's own lookup keeps no cursor");
    await createDriver({
      uri: access.uri,
      user: access.user,
      password: access.password,
      database: "neo4j",
      caFile: undefined,
    }).close();
    // The cursor moved to the third chunk: the lookup is the kit's, not the driver's walk.
    assert.equal(probe(), 2);
    await backupDriver(access).close();
    assert.equal(probe(), 2);
  });

  describe("each read", () => {
    before(() => installChunkCursor());

    it("reads every byte as the message holds it, for any chunking and in any order", () => {
      for (let round = 0; round < 200; round += 1) {
        const bytes = randomBytes(1 + Math.floor(Math.random() * 3000));
        const buffer = chunked(bytes, randomSizes(40, round % 2 === 0 ? 64 : 700));
        const forward = [...bytes.keys()];
        const backward = [...forward].reverse();
        const scattered = forward.map(() => Math.floor(Math.random() * bytes.length));
        for (const position of [...forward, ...backward, ...scattered]) {
          assert.equal(buffer.getUInt8(position), bytes.readUInt8(position));
          assert.equal(buffer.getInt8(position), bytes.readInt8(position));
        }
        if (bytes.length >= 8) {
          const at = Math.floor(Math.random() * (bytes.length - 7));
          assert.ok(Object.is(buffer.getFloat64(at), bytes.readDoubleBE(at)));
        }
      }
    });

    it("refuses reads past either end with the driver's own error", () => {
      const bytes = randomBytes(100);
      const buffer = chunked(bytes, [30, 30]);
      assert.throws(() => buffer.getUInt8(100), /Read beyond end of CombinedBuffer/);
      assert.throws(() => buffer.getInt8(1_000), /Read beyond end of CombinedBuffer/);
      assert.throws(() => buffer.getUInt8(-1));
      assert.equal(buffer.getUInt8(99), bytes.readUInt8(99), "and still reads after a refused read");
    });

    it("decodes a byte array of many chunks exactly", () => {
      const value = randomBytes(2 * 1024 * 1024);
      const header = Buffer.from([0xce, 0, 0, 0, 0]);
      header.writeUInt32BE(value.length, 1);
      const decoded = new Unpacker().unpack(
        chunked(Buffer.concat([header, value]), randomSizes(400, 16_384)),
      ) as Int8Array;
      assert.ok(Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength).equals(value));
    });
  });

  describe("through real Neo4j", () => {
    let driver: Driver;
    before(() => {
      const access = neo4jAccess();
      driver = backupDriver(access);
    });
    after(() => driver?.close());

    it("round-trips a 16 MB byte array, a long string and a long list of floats", async () => {
      const bytes = randomBytes(16 * 1024 * 1024);
      const text = "ü🙂x".repeat(700_000);
      const floats = Array.from({ length: 300_000 }, (_, index) => index / 7);
      const session = driver.session();
      try {
        const started = Date.now();
        const result = await session.run("RETURN $bytes AS bytes, $text AS text, $floats AS floats", {
          bytes: new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length),
          text,
          floats,
        });
        console.error(`large values returned and decoded in ${Date.now() - started} ms`);
        const [record] = result.records;
        const back = record?.get("bytes") as Int8Array;
        assert.ok(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(bytes));
        assert.equal(record?.get("text"), text);
        assert.deepEqual(record?.get("floats"), floats);
      } finally {
        await session.close();
      }
    });
  });
});
