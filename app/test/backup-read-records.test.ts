// The backup has Neo4j take temporal values apart (read-records.ts); what it writes must be
// exactly what encoding the driver's own value gives, for every temporal type and the edges of
// each: zones and bare offsets, a repeated hour, offsets in seconds, far years, year 0.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Driver, Record as Neo4jRecord } from "neo4j-driver";
import { neo4jAccess } from "../../test/support/service-env.js";
import { backupDriver } from "../src/backup/driver.js";
import { NODE_RESULT, RELATIONSHIP_RESULT, nodeRecord, relationshipOf } from "../src/backup/read-records.js";
import { encodeValue } from "../src/backup/values.js";

/** Property values as Cypher expressions; each becomes a property of one node and one relationship. */
const VALUES: Record<string, string> = {
  zoned: "datetime('2024-01-01T10:00:00.123456789[Europe/Paris]')",
  repeatedHourFirst: "datetime({year: 2024, month: 10, day: 27, hour: 2, minute: 30, timezone: 'Europe/Paris'})",
  repeatedHourSecond: "datetime('2024-10-27T02:30:00+01:00[Europe/Paris]')",
  utcRegion: "datetime({year: 2024, month: 6, day: 1, timezone: 'UTC'})",
  oldRegion: "datetime({year: 1850, month: 6, day: 1, timezone: 'Asia/Kolkata'})",
  zulu: "datetime('2024-01-01T00:00:00Z')",
  offset: "datetime('2024-01-01T10:00:00.5+05:30')",
  offsetSeconds: "datetime({year: 2024, month: 1, day: 1, timezone: '+01:00:30'})",
  negativeOffset: "datetime('1969-12-31T23:59:59.999999999-09:30')",
  farFuture: "datetime({year: 999999999, month: 12, day: 31, hour: 23, minute: 59, second: 59, timezone: 'Z'})",
  farPast: "datetime({year: -999999999, month: 1, day: 1, timezone: 'Z'})",
  yearZero: "datetime({year: 0, month: 2, day: 29, timezone: 'America/New_York'})",
  local: "localdatetime('2024-01-01T10:00:00.000000001')",
  localFarPast: "localdatetime({year: -999999999, month: 1, day: 1})",
  date: "date('2024-02-29')",
  dateYearZero: "date({year: 0, month: 1, day: 1})",
  dateFarFuture: "date({year: 999999999, month: 12, day: 31})",
  time: "time('23:59:59.999999999+14:00')",
  timeNegative: "time('00:00:00-18:00')",
  localTime: "localtime('01:02:03.000000001')",
  dates: "[date('2020-01-01'), date('1970-01-01')]",
  datetimes: "[datetime('2024-10-27T02:30:00+01:00[Europe/Paris]'), datetime('2024-01-01T00:00:00Z')]",
  duration: "duration('P1Y2M3DT4H5M6.000000007S')",
  integer: "9223372036854775807",
  text: "'not a date: 2024-01-01'",
  empty: "[]",
};

describe("backup reads of temporal values", () => {
  let driver: Driver;
  const label = `ReadRecords_${randomUUID().replaceAll("-", "")}`;
  let nodeId: string;
  let relationshipId: string;

  before(async () => {
    const access = neo4jAccess();
    driver = backupDriver(access);
    const assignments = (variable: string) =>
      Object.entries(VALUES)
        .map(([key, expression]) => `${variable}.${key} = ${expression}`)
        .join(", ");
    const session = driver.session();
    try {
      const { records } = await session.run(
        `CREATE (n:${label})-[r:${label}]->(m:${label})
         SET ${assignments("n")}, ${assignments("r")}, n.__proto__ = 'a key like any other'
         RETURN elementId(n) AS node, elementId(r) AS relationship`,
      );
      [nodeId, relationshipId] = [records[0]?.get("node") as string, records[0]?.get("relationship") as string];
    } finally {
      await session.close();
    }
  });

  after(async () => {
    const session = driver.session();
    try {
      await session.run(`MATCH (n:${label}) DETACH DELETE n`);
    } finally {
      await session.close();
      await driver.close();
    }
  });

  /** The entity's properties as the driver hands them over, encoded one by one. */
  async function driverEncoded(match: string, id: string, variable: string): Promise<Record<string, unknown>> {
    const { records } = await driver.executeQuery(`${match} RETURN properties(${variable}) AS props`, { id });
    const props = records[0]?.get("props") as Record<string, unknown>;
    return Object.fromEntries(Object.entries(props).map(([key, value]) => [key, encodeValue(value)]));
  }

  /** The element as the backup reads it, once its properties have been found equal to the driver's, encoded. */
  async function readBoth<T extends { props: Record<string, unknown> }>(
    match: string,
    result: string,
    id: string,
    variable: string,
    read: (record: Neo4jRecord) => T,
  ): Promise<T> {
    const { records } = await driver.executeQuery(`${match} ${result}`, { id });
    const record = records[0];
    assert.ok(record, `${variable} is read`);
    const element = read(record);
    assert.deepEqual({ ...element.props }, await driverEncoded(match, id, variable));
    return element;
  }

  it("writes a node's temporal values as encoding the driver's values does", async () => {
    const read = await readBoth("MATCH (n) WHERE elementId(n) = $id", NODE_RESULT, nodeId, "n", nodeRecord);
    assert.equal(Object.keys(read.props).length, Object.keys(VALUES).length + 1);
    assert.deepEqual(read.props.repeatedHourFirst, { dt: [2024, 10, 27, 2, 30, 0, 0], off: 7200, tz: "Europe/Paris" });
    assert.deepEqual(read.props.repeatedHourSecond, { dt: [2024, 10, 27, 2, 30, 0, 0], off: 3600, tz: "Europe/Paris" });
    assert.deepEqual(read.props.offsetSeconds, { dt: [2024, 1, 1, 0, 0, 0, 0], off: 3630 });
    assert.deepEqual(read.props.utcRegion, { dt: [2024, 6, 1, 0, 0, 0, 0], off: 0, tz: "UTC" });
    assert.equal(read.props.__proto__, "a key like any other");
  });

  it("writes a relationship's temporal values as encoding the driver's values does", async () => {
    const match = "MATCH (a)-[r]->(b) WHERE elementId(r) = $id";
    const read = await readBoth(match, RELATIONSHIP_RESULT, relationshipId, "r", relationshipOf);
    assert.deepEqual(read.props.local, { ldt: [2024, 1, 1, 10, 0, 0, 1] });
    assert.deepEqual(read.props.timeNegative, { time: [0, 0, 0, 0, -64800] });
  });
});
