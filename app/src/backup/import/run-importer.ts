// Runs Neo4j's bulk importer (`neo4j-admin database import full`) on the files import-files.ts
// wrote, with every option that decides how it reads them stated, and checks what it reports.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { GroupFiles } from "./csv-groups.js";
import type { ImportFiles } from "./import-files.js";

/** How to start `neo4j-admin`: a command and the arguments before its own (a wrapper may need some). */
export interface ImporterCommand {
  command: string;
  args: string[];
}

export interface ImporterRun {
  /** The Neo4j home the database is imported into (NEO4J_HOME; its conf/ is NEO4J_CONF when there is one). */
  home: string;
  database: string;
  /** Replace a database that is there (the caller has checked that it may). */
  overwrite: boolean;
  /** The importer's off-heap memory, as neo4j-admin takes it (`2G`, `512M`). */
  maxOffHeapMemory: string;
  /** Where the importer writes its report and finds an empty configuration when the home has none. */
  workDir: string;
}

export class ImporterError extends Error {
  override readonly name = "ImporterError";
  readonly code = "ERR_IMPORTER";
}

export class TargetInUseError extends Error {
  override readonly name = "TargetInUseError";
  readonly code = "ERR_TARGET_IN_USE";
}

const OUTPUT_KEPT = 64 * 1024;
const MIN_READ_BUFFER = 4 * 1024 * 1024;

const group = (files: GroupFiles) => `${files.header},${files.data}`;

/** The importer's arguments: every reading rule is explicit, so a changed default cannot change the data. */
export function importerArguments(files: ImportFiles, run: ImporterRun): string[] {
  // The buffer holds the longest field, in UTF-8 (up to 3 bytes per UTF-16 unit), with room to spare.
  const readBuffer = Math.max(MIN_READ_BUFFER, 2 ** Math.ceil(Math.log2(files.longestField * 3 + 1024)));
  return [
    "database",
    "import",
    "full",
    run.database,
    "--id-type=integer",
    "--delimiter=,",
    '--quote="',
    "--array-delimiter=U+001F",
    "--input-encoding=UTF-8",
    "--ignore-empty-strings=false",
    "--trim-strings=false",
    "--legacy-style-quoting=false",
    "--normalize-types=true",
    "--ignore-extra-columns=false",
    "--skip-duplicate-nodes=false",
    "--skip-bad-relationships=false",
    "--bad-tolerance=0",
    "--verbose",
    `--multiline-fields=${files.multiline}`,
    `--read-buffer-size=${readBuffer}`,
    `--max-off-heap-memory=${run.maxOffHeapMemory}`,
    `--overwrite-destination=${run.overwrite}`,
    `--report-file=${path.join(run.workDir, "import.report")}`,
    ...[files.marker, ...files.nodes].map((files) => `--nodes=${group(files)}`),
    ...files.relationships.map((files) => `--relationships=${group(files)}`),
  ];
}

/** The counts the importer reports on success ("Imported: N nodes, M relationships, ..."). */
export function importedCounts(output: string): { nodes: number; relationships: number } | undefined {
  if (!/IMPORT DONE/.test(output)) return undefined;
  const nodes = /^\s*(\d+) nodes\s*$/m.exec(output)?.[1];
  const relationships = /^\s*(\d+) relationships\s*$/m.exec(output)?.[1];
  if (nodes === undefined || relationships === undefined) return undefined;
  return { nodes: Number(nodes), relationships: Number(relationships) };
}

export async function runImporter(
  importer: ImporterCommand,
  files: ImportFiles,
  run: ImporterRun,
): Promise<{ nodes: number; relationships: number; seconds: number }> {
  const confDir = path.join(run.home, "conf");
  const env = {
    ...process.env,
    NEO4J_HOME: run.home,
    NEO4J_CONF: existsSync(confDir) ? confDir : run.workDir,
  };
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(importer.command, [...importer.args, ...importerArguments(files, run)], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new ImporterError(
              `the importer ${JSON.stringify(importer.command)} was not found: set NEO4J_ADMIN to Neo4j's neo4j-admin`,
            )
          : error,
      ),
    );
    child.on("close", (code) => resolve({ code, output }));
  });
  const seconds = (Date.now() - started) / 1000;
  if (/database is in use/i.test(output))
    throw new TargetInUseError(
      `database ${run.database} in ${run.home} is in use: stop Neo4j before importing into it`,
    );
  const counts = importedCounts(output);
  if (code !== 0 || !counts) {
    // With --verbose the importer prints its causes; the innermost one names the problem.
    const reason =
      [...output.matchAll(/^\s*Caused by: (.+)$/gm)].at(-1)?.[1]?.trim() ??
      /^.*(Exception|Error|error)[^\n]*$/m.exec(output)?.[0]?.trim() ??
      `exit code ${code}`;
    throw new ImporterError(
      `the importer failed (${reason}); database ${run.database} in ${run.home} is unusable until a restore into it completes (re-run with --wipe, or restore online)\n${output.slice(-4000)}`,
    );
  }
  if (counts.nodes !== files.expected.nodes || counts.relationships !== files.expected.relationships)
    throw new ImporterError(
      `the importer wrote ${counts.nodes} nodes and ${counts.relationships} relationships, expected ${files.expected.nodes} and ${files.expected.relationships}`,
    );
  return { ...counts, seconds };
}
