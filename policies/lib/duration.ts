// Go duration strings (what cert-manager accepts): "2160h", "1h30m", "90m0s", "1.5h".
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds, or undefined when the text is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(match[1]) * (UNIT_SECONDS[match[2] ?? ""] ?? Number.NaN);
  return Number.isFinite(total) ? total : undefined;
}
