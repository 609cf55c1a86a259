// Reads the stack's settings from Pulumi config (the `mcp-bastion:` keys) and validates them.
import * as pulumi from "@pulumi/pulumi";
import {
  SECRET_SETTINGS,
  SettingsError,
  isOptionalSetting,
  settingKind,
  settingsError,
  settingsProblems,
  type Settings,
} from "./config.js";

/** One configuration value as the engine hands it over: the full `project:key`, its text, and whether it is a secret. */
export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
  readonly secret: boolean;
}

/**
 * The stack's settings from its `<project>:` keys. Every problem is named at once: a value that
 * is not of its setting's kind, a credential kept in plain text in the stack file, an unknown
 * key (a typo must not pass silently) and every rule of the schema.
 */
export function settingsFromConfig(entries: Iterable<ConfigEntry>, project: string): Settings {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const { key: fullKey, value: text, secret } of entries) {
    if (!fullKey.startsWith(`${project}:`)) continue;
    const key = fullKey.slice(project.length + 1);
    const kind = settingKind(key) ?? "string";
    // Pulumi.yaml gives optional settings an empty default; empty means unset.
    if (text === "" && isOptionalSetting(key)) continue;
    if (SECRET_SETTINGS.has(key) && !secret)
      problems.push(`${key}: must be a secret in the stack file (pulumi config set --secret ${key})`);
    if (kind === "string" || kind === "enum") {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text) as unknown;
    } catch {
      problems.push(`${key}: is not a valid ${kind} (${JSON.stringify(text)})`);
    }
  }
  const result = settingsProblems(raw);
  // A value already named as unreadable is not named again as missing.
  const all = [
    ...problems,
    ...result.problems.filter(
      (problem) => !problems.some((earlier) => earlier.startsWith(`${problem.split(":")[0]}:`)),
    ),
  ];
  if (all.length > 0 || !("settings" in result)) throw settingsError(all);
  return result.settings;
}

/**
 * Whether the engine handed a key's value over as a secret. The SDK exports this check from its
 * runtime without declaring it. Pulumi.yaml cannot say `secret: true` for these settings: the
 * engine then refuses every stack that leaves them unset, their empty default included.
 */
function isConfigSecret(fullKey: string): boolean {
  const check = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (typeof check !== "function")
    throw new SettingsError(
      "this @pulumi/pulumi cannot tell secret configuration apart: pin the version in package-lock.json",
    );
  return check(fullKey);
}

/** The running program's settings, from the configuration the engine handed it. */
export function readSettings(project: string = pulumi.getProject()): Settings {
  const entries = Object.entries(pulumi.runtime.allConfig()).map(([key, value]) => ({
    key,
    value,
    secret: isConfigSecret(key),
  }));
  return settingsFromConfig(entries, project);
}
