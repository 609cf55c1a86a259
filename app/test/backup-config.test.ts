// The backup's settings: secrets from files only, and a CA bundle that is checked when read.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadBackupConfig } from "../src/backup/config.js";
import { ConfigError } from "../src/config.js";

describe("backup configuration", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mcp-bastion-backup-config-"));
    await writeFile(path.join(dir, "password"), "a-password", { mode: 0o600 });
    await writeFile(path.join(dir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n", { mode: 0o600 });
    env = {
      NEO4J_URI: "bolt+s://neo4j.example:7687",
      NEO4J_PASSWORD_FILE: path.join(dir, "password"),
      S3_BUCKET: "backups-bucket",
    };
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it("passes NEO4J_CA_FILE on to the connection, and none when it is unset", () => {
    assert.equal(
      loadBackupConfig({ ...env, NEO4J_CA_FILE: path.join(dir, "ca.crt") }).neo4j.caFile,
      path.join(dir, "ca.crt"),
    );
    assert.equal("caFile" in loadBackupConfig(env).neo4j, false);
  });

  it("refuses a CA file that cannot be read, naming the setting", () => {
    assert.throws(
      () => loadBackupConfig({ ...env, NEO4J_CA_FILE: path.join(dir, "missing.crt") }),
      (error: unknown) =>
        error instanceof ConfigError && /^NEO4J_CA_FILE: .*missing\.crt cannot be read$/.test(error.message),
    );
  });

  it("refuses secrets given in the environment itself", () => {
    assert.throws(() => loadBackupConfig({ ...env, NEO4J_PASSWORD: "inline" }), /secrets are read from files/);
  });
});
