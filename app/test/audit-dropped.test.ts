// An audit event that cannot reach Neo4j is logged, counted in mcp_audit_events_dropped_total
// (the McpAuditEventsDropped alert watches it) and never silently lost: here the store is a real
// driver to an address where no Neo4j listens, so every write fails as in an outage.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import neo4j from "neo4j-driver";
import { pino } from "pino";
import { Neo4jAuditStore } from "../src/store/audit-store.js";
import { Auditor } from "../src/telemetry/audit.js";
import { Metrics } from "../src/telemetry/metrics.js";
import { freePort } from "../../scripts/dev-services/service-process.js";

const driver = neo4j.driver(`bolt://127.0.0.1:${await freePort()}`, neo4j.auth.basic("neo4j", "unused-password"), {
  connectionTimeout: 2000,
  maxTransactionRetryTime: 0,
});
after(() => driver.close());

test("events a failing store could not take are counted as dropped, by reason", async () => {
  const metrics = new Metrics();
  const logged: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void logged.push(line) });
  const auditor = new Auditor(
    new Neo4jAuditStore(driver, "neo4j"),
    log,
    (event) => metrics.observe(event),
    undefined,
    (count, reason) => metrics.auditEventsDropped(count, reason),
  );
  for (const principal of ["alice", "bob", "carol"]) {
    auditor.record({ kind: "authentication", decision: "allow", principal, reason: "ok" });
  }
  await auditor.flush();
  const text = await metrics.registry.metrics();
  assert.match(text, /^mcp_audit_events_dropped_total\{reason="store_failure"\} 3$/m);
  assert.ok(
    logged.some((line) => line.includes("audit events could not be stored in Neo4j")),
    "the failure is logged too",
  );
});
