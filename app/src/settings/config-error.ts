// The one error a bad setting stops the process with; its message names every bad setting.
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "ERR_CONFIG";
}
