// Reads the stack's settings from Pulumi config (the `mcp-bastion:` keys) and validates them.
import * as pulumi from "@pulumi/pulumi";
import { SettingsError, isOptionalSetting, parseSettings, settingKind, type Settings } from "./config.js";

/** Every `<project>:` key of the stack; an unknown key is an error (a typo must not pass silently). */
export function readSettings(project: string = pulumi.getProject()): Settings {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${project}:`)) continue;
    const key = fullKey.slice(project.length + 1);
    const kind = settingKind(key) ?? "string";
    // Pulumi.yaml gives optional settings an empty default; empty means unset.
    if (text === "" && isOptionalSetting(key)) continue;
    if (kind === "string" || kind === "enum") {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text) as unknown;
    } catch {
      throw new SettingsError(`invalid stack configuration:\n  ${key}: is not a valid ${kind} (${JSON.stringify(text)})`);
    }
  }
  return parseSettings(raw);
}
