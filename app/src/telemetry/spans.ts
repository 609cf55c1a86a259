// One span's lifetime around async work; free of the SDK, so clients that may be traced (the
// backup's S3 client) do not load it.
import { SpanStatusCode, type Span } from "@opentelemetry/api";

/** Runs `work` in `span` and ends it; a failure marks the span with its error's class name only. */
export async function endedWith<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : "error" });
    throw error;
  } finally {
    span.end();
  }
}
