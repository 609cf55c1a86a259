// A conversion thread of the restore by import: converts the batches of lines the main thread
// sends, in the order they come, into rows in files of its own (convert-batch.ts), and answers
// each with what the main thread checks in order. Told to close, it writes its files' headers
// and reports them; told to discard, it closes them as they are.
import { parentPort, workerData } from "node:worker_threads";
import { convertBatch } from "./convert-batch.js";
import type { ConverterData, ConverterMessage, ConverterRequest } from "./convert-pool.js";
import { RowWriter } from "./rows.js";

const port = parentPort;
if (!port) throw new Error("convert-worker runs as a worker thread");
const { dir, name } = workerData as ConverterData;
const rows = new RowWriter(dir, name);

port.on("message", (request: ConverterRequest) => {
  let reply: ConverterMessage;
  try {
    if (request.type === "batch") reply = { type: "batch", seq: request.seq, batch: convertBatch(request.text, rows) };
    else if (request.type === "close") reply = { type: "closed", rows: rows.close() };
    else {
      // The files are removed with their directory: closing them is all that is left to do.
      try {
        rows.discard();
      } catch {
        // already closed
      }
      reply = { type: "closed" };
    }
  } catch (error) {
    reply = { type: "error", name: (error as Error).name, message: (error as Error).message };
  }
  port.postMessage(reply);
});
