// The backup's schema rules applied to a restored graph: each statement checked once more
// before it runs, and a rule already there (a restore run again) taken as applied.
import type { Driver } from "neo4j-driver";
import { run } from "./driver.js";
import { assertSchemaStatement } from "./verify.js";

/** How long a restore waits for the indexes it created to be filled before it fails. */
const INDEX_WAIT_SECONDS = 6 * 3600;

export async function applySchema(driver: Driver, database: string, cypher: string): Promise<void> {
  assertSchemaStatement(cypher);
  try {
    await run(driver, database, cypher);
  } catch (error) {
    // Re-running after a crash: the rule is already there.
    const code = (error as { code?: string }).code ?? "";
    if (!/EquivalentSchemaRuleAlreadyExists|IndexAlreadyExists|ConstraintAlreadyExists/.test(code)) throw error;
  }
}

/** Resolves once every index is online (filled from the graph that is there). */
export async function awaitIndexes(driver: Driver, database: string): Promise<void> {
  await run(driver, database, `CALL db.awaitIndexes(${INDEX_WAIT_SECONDS})`);
}
