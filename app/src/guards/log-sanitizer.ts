// Free text on its way to a log line or an audit record: normalized (NFKC), control and
// line-breaking characters escaped, secret-looking values redacted, long values cut.

export const MAX_LOG_FIELD = 512;

// Characters that forge lines or reorder what a reader sees: C0/C1 controls, DEL, Unicode
// line and paragraph separators, bidirectional overrides and isolates, zero-width joiners.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/g;
const SECRETS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, "[redacted private key]"],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "[redacted jwt]"],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [redacted]"],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, "[redacted aws key id]"],
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&,;]+)/gi,
    "$1$2[redacted]",
  ],
];
const PLAIN = /^[\x20-\x7e]*$/;
const MAYBE_SECRET = /eyJ|bearer|basic|AKIA|ASIA|PRIVATE KEY|password|passwd|pwd|secret|token|api.?key|access.?key/i;

export function sanitizeText(value: string, maxLength = MAX_LOG_FIELD): string {
  // Fast path for the common case: short printable ASCII with nothing that looks secret.
  if (value.length <= maxLength && PLAIN.test(value) && !MAYBE_SECRET.test(value)) return value;
  let text = value.normalize("NFKC");
  for (const [pattern, replacement] of SECRETS) text = text.replace(pattern, replacement);
  text = text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (text.length > maxLength) {
    // Cut on a code point boundary; say how much was dropped.
    const kept = Array.from(text.slice(0, maxLength + 1))
      .slice(0, -1)
      .join("")
      .slice(0, maxLength);
    text = `${kept}...[+${text.length - kept.length} chars]`;
  }
  return text;
}
