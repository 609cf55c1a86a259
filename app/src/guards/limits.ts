// Output limits: every tool result is capped, with a visible marker where it was cut.
import type { CallToolResult } from "@modelcontextprotocol/server";

export interface CappedResult {
  result: CallToolResult;
  truncated: boolean;
  /** Size of the result's content as the tool produced it, in bytes of JSON. */
  originalBytes: number;
}

export function truncationMarker(maxBytes: number, omittedBytes: number): string {
  return `\n[truncated: the result exceeded ${maxBytes} bytes; ${omittedBytes} bytes omitted]`;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--; // back up to a character boundary
  return bytes.subarray(0, end).toString("utf8");
}

/**
 * Caps the content of a tool result at `maxBytes` (counted as JSON, the way it travels). Text
 * is cut at a character boundary and marked; content of other kinds that does not fit is
 * dropped, and the marker says so.
 */
export function capToolResult(result: CallToolResult, maxBytes: number): CappedResult {
  const originalBytes = Buffer.byteLength(JSON.stringify(result.content));
  if (originalBytes <= maxBytes) return { result, truncated: false, originalBytes };
  const content: CallToolResult["content"] = [];
  let budget = maxBytes;
  for (const item of result.content) {
    const size = Buffer.byteLength(JSON.stringify(item));
    if (size <= budget) {
      content.push(item);
      budget -= size;
      continue;
    }
    if (item.type === "text" && budget > 64) {
      // JSON escaping can grow text up to six times; shrink until the encoded item fits.
      let text = utf8Prefix(item.text, budget);
      let encoded = Buffer.byteLength(JSON.stringify({ ...item, text }));
      while (encoded > budget) {
        text = utf8Prefix(text, Math.floor((Buffer.byteLength(text) * budget) / encoded) - 1);
        encoded = Buffer.byteLength(JSON.stringify({ ...item, text }));
      }
      content.push({ ...item, text });
    }
    break;
  }
  const kept = Buffer.byteLength(JSON.stringify(content));
  content.push({ type: "text", text: truncationMarker(maxBytes, originalBytes - kept) });
  return { result: { ...result, content }, truncated: true, originalBytes };
}
