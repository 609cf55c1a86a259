// Constraints and indexes, created at start-up; every statement is idempotent.
import type { Driver } from "neo4j-driver";

const statements = [
  "CREATE CONSTRAINT revoked_token_id IF NOT EXISTS FOR (r:RevokedToken) REQUIRE r.id IS UNIQUE",
  "CREATE INDEX revoked_token_revoked_at IF NOT EXISTS FOR (r:RevokedToken) ON (r.revokedAt)",
  "CREATE INDEX revoked_token_expires_at IF NOT EXISTS FOR (r:RevokedToken) ON (r.expiresAt)",
  "CREATE CONSTRAINT revoke_all_sub IF NOT EXISTS FOR (a:RevokeAll) REQUIRE a.sub IS UNIQUE",
  "CREATE INDEX revoke_all_at IF NOT EXISTS FOR (a:RevokeAll) ON (a.at)",
  "CREATE CONSTRAINT auth_throttle_key IF NOT EXISTS FOR (t:AuthThrottle) REQUIRE t.key IS UNIQUE",
  "CREATE INDEX auth_throttle_locked_at IF NOT EXISTS FOR (t:AuthThrottle) ON (t.lockedAt)",
  "CREATE INDEX auth_throttle_locked_until IF NOT EXISTS FOR (t:AuthThrottle) ON (t.lockedUntil)",
  "CREATE INDEX auth_throttle_updated_at IF NOT EXISTS FOR (t:AuthThrottle) ON (t.updatedAt)",
  "CREATE CONSTRAINT entity_tenant_name IF NOT EXISTS FOR (e:Entity) REQUIRE (e.tenant, e.name) IS UNIQUE",
  "CREATE CONSTRAINT audit_event_id IF NOT EXISTS FOR (e:AuditEvent) REQUIRE e.id IS UNIQUE",
  "CREATE INDEX audit_event_at IF NOT EXISTS FOR (e:AuditEvent) ON (e.at)",
];

export async function ensureSchema(driver: Driver, database: string): Promise<void> {
  for (const statement of statements) {
    await driver.executeQuery(statement, {}, { database });
  }
  await driver.executeQuery("CALL db.awaitIndexes(60)", {}, { database });
}
