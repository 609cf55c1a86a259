// The backup's S3 transfers as spans: one per S3 command (PutObject, UploadPart, GetObject ...),
// with the bucket and the outcome, never a key's credentials or a body. A no-op until the
// OpenTelemetry SDK has started, so clients may always carry it.
import { SpanKind, trace } from "@opentelemetry/api";
import type { S3Client } from "@aws-sdk/client-s3";
import { endedWith } from "./spans.js";

export function traceS3Commands(client: S3Client): S3Client {
  const tracer = trace.getTracer("mcp-bastion");
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? "S3Command").replace(/Command$/, "");
      const input = args.input as { Bucket?: unknown; PartNumber?: unknown };
      const attributes: Record<string, string | number> = {
        "rpc.system": "aws-api",
        "rpc.service": "S3",
        "rpc.method": operation,
      };
      if (typeof input.Bucket === "string") attributes["aws.s3.bucket"] = input.Bucket;
      if (typeof input.PartNumber === "number") attributes["aws.s3.part_number"] = input.PartNumber;
      return tracer.startActiveSpan(`s3 ${operation}`, { kind: SpanKind.CLIENT, attributes }, (span) =>
        endedWith(span, async () => {
          const output = await next(args);
          const status = (output.output as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status !== undefined) span.setAttribute("http.response.status_code", status);
          return output;
        }),
      );
    },
    { step: "initialize", name: "mcpBastionTraceS3" },
  );
  return client;
}
