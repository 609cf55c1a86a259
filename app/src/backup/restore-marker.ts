// The marker node a restore keeps in its target while it runs: which backup, which phase, and
// how many of its records are written. The restore resumes from it; the backup refuses a
// database that holds one (half a graph and the restore's bookkeeping).
import type { Driver } from "neo4j-driver";
import { run } from "./driver.js";
import { RESTORE_MARKER_LABEL as MARKER } from "./records.js";

export interface UnfinishedRestore {
  backupId: unknown;
  phase: string;
  /** How many of the backup's records are written; undefined for a restore by a version that did not count them. */
  line: number | undefined;
}

/** The marker of a restore into `database` that has not finished (or crashed), if there is one. */
export async function unfinishedRestore(driver: Driver, database: string): Promise<UnfinishedRestore | undefined> {
  const marker = (
    await run(driver, database, `MATCH (m:${MARKER}) RETURN m.backupId AS id, m.phase AS phase, m.line AS line LIMIT 1`)
  ).records[0];
  if (!marker) return undefined;
  const line = marker.get("line") as unknown;
  return {
    backupId: marker.get("id"),
    phase: String(marker.get("phase")),
    line: line === null ? undefined : Number(line),
  };
}
