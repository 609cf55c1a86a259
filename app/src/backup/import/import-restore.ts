// Restore into an empty database by Neo4j's bulk importer, many times faster than writing it
// through Bolt: the backup is verified in full while it is turned into the importer's files,
// the importer builds the database offline (Neo4j stopped), and the online restore command,
// run once Neo4j is started, finishes it (finish-import.ts) and checks every count.
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { TargetNotEmptyError } from "../restore.js";
import type { BackupStore, Manifest } from "../storage.js";
import { writeImportFiles } from "./import-files.js";
import { runImporter, type ImporterCommand } from "./run-importer.js";

export interface ImportRestoreOptions {
  /** The Neo4j home (NEO4J_HOME) whose database is built; Neo4j must be stopped. */
  home: string;
  database: string;
  /** Replace the database if it is there. */
  wipe?: boolean;
  importer: ImporterCommand;
  /** The importer's off-heap memory. @default "2G" */
  maxOffHeapMemory?: string;
  onPhase?: (phase: "verify-and-convert" | "import") => void;
}

export interface ImportRestoreResult {
  backupId: string;
  /** As the importer counted them: the backup's nodes, the endpoint-only ones, and the restore's marker. */
  nodes: number;
  relationships: number;
  deferred: { nodes: number; relationships: number };
  convertSeconds: number;
  importSeconds: number;
}

export class ImportTargetError extends Error {
  override readonly name = "ImportTargetError";
  readonly code = "ERR_IMPORT_TARGET";
}

const DATABASE_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

/** Refuses a home that is not one, and a database that is there unless it is to be wiped. */
function checkTarget(options: ImportRestoreOptions): void {
  if (!existsSync(options.home) || !statSync(options.home).isDirectory())
    throw new ImportTargetError(`${options.home} is not a directory (the Neo4j home to import into)`);
  if (!DATABASE_NAME.test(options.database))
    throw new ImportTargetError(`${JSON.stringify(options.database)} is not a database name`);
  const store = path.join(options.home, "data", "databases", options.database);
  if (!options.wipe && existsSync(store) && readdirSync(store).length > 0)
    throw new TargetNotEmptyError(
      `database ${options.database} already exists in ${options.home} (it may be empty); pass --wipe to replace it`,
    );
}

export async function importRestore(
  store: BackupStore,
  manifest: Manifest,
  options: ImportRestoreOptions,
): Promise<ImportRestoreResult> {
  checkTarget(options);
  const home = path.resolve(options.home);
  // The importer takes its files as `[labels=]file,file` lists: a comma or an equals sign in a path would be misread.
  if (/[,=]/.test(home))
    throw new ImportTargetError(
      `the Neo4j home's path holds a comma or an equals sign, which the importer cannot take: ${home}`,
    );
  // Beside the database, on the same disk: the files are about as large as the backup uncompressed.
  const workDir = await mkdtemp(path.join(home, ".mcp-bastion-import-"));
  try {
    options.onPhase?.("verify-and-convert");
    const converting = Date.now();
    const files = await writeImportFiles(store, manifest, workDir);
    const convertSeconds = (Date.now() - converting) / 1000;
    options.onPhase?.("import");
    const imported = await runImporter(options.importer, files, {
      home,
      database: options.database,
      overwrite: options.wipe === true,
      maxOffHeapMemory: options.maxOffHeapMemory ?? "2G",
      workDir,
    });
    return {
      backupId: manifest.id,
      nodes: imported.nodes,
      relationships: imported.relationships,
      deferred: files.deferred,
      convertSeconds,
      importSeconds: imported.seconds,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
