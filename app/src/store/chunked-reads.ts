// A fix for the Neo4j JavaScript driver's reads of large messages. A Bolt message longer than
// one chunk reaches the decoder as a CombinedBuffer of its chunks, and the driver (6.3) finds
// each byte it reads by walking that chunk list from the first chunk. Byte arrays are decoded a
// byte at a time, so a value of n bytes costs n x chunks steps: a 3 MB byte array, about 400
// chunks, took 3 s to decode, a 30 MB one would take minutes, and every large list or map pays
// the same. Reads are sequential, so remembering the chunk of the last read makes each one a
// constant step. The driver is pinned by package-lock.json; the test of this module fails if an
// upgrade moves what it replaces, so that is noticed rather than silently slow again.
import { createRequire } from "node:module";

interface Chunk {
  length: number;
  getUInt8(position: number): number;
  getInt8(position: number): number;
}

interface CombinedBuffer extends Chunk {
  _buffers: Chunk[];
  /** Index of the chunk of the last read, and that chunk's first position in the message. */
  cursorIndex?: number;
  cursorStart?: number;
}

interface CombinedBufferClass {
  prototype: CombinedBuffer;
}

const require = createRequire(import.meta.url);

/** The driver's CombinedBuffer class, from the one copy of the driver the process loads. */
export function combinedBufferClass(): CombinedBufferClass {
  const driverPath = require.resolve("neo4j-driver");
  const boltPath = createRequire(driverPath).resolve("neo4j-driver-bolt-connection");
  return (createRequire(boltPath)("./channel/combined-buf.js") as { default: CombinedBufferClass }).default;
}

let installed = false;

/** The chunk holding `position` and the position within it, or undefined past the end. */
function locate(buffer: CombinedBuffer, position: number): [Chunk, number] | undefined {
  const chunks = buffer._buffers;
  let index = buffer.cursorIndex ?? 0;
  let start = buffer.cursorStart ?? 0;
  if (position < start) {
    index = 0;
    start = 0;
  }
  while (index < chunks.length && position >= start + (chunks[index] as Chunk).length) {
    start += (chunks[index] as Chunk).length;
    index += 1;
  }
  if (index >= chunks.length || position < 0) return undefined;
  buffer.cursorIndex = index;
  buffer.cursorStart = start;
  return [chunks[index] as Chunk, position - start];
}

/** Replaces the CombinedBuffer's byte lookups with cursor-based ones; safe to call again. */
export function installChunkCursor(): void {
  if (installed) return;
  const prototype = combinedBufferClass().prototype;
  const { getUInt8: walkUInt8, getInt8: walkInt8 } = prototype;
  if (typeof walkUInt8 !== "function" || typeof walkInt8 !== "function") {
    throw new Error(
      "neo4j-driver's CombinedBuffer no longer has getUInt8/getInt8: review app/src/store/chunked-reads.ts for this driver version",
    );
  }
  prototype.getUInt8 = function getUInt8(this: CombinedBuffer, position: number): number {
    const found = locate(this, position);
    // Past the end: the driver's own lookup throws its own error.
    return found ? found[0].getUInt8(found[1]) : walkUInt8.call(this, position);
  };
  prototype.getInt8 = function getInt8(this: CombinedBuffer, position: number): number {
    const found = locate(this, position);
    return found ? found[0].getInt8(found[1]) : walkInt8.call(this, position);
  };
  installed = true;
}
