// The one Neo4j driver of the process. Integers come back as JS numbers: the app stores only
// timestamps and counters, all far below 2^53.
import neo4j, { type Driver } from "neo4j-driver";
import type { Config } from "../config.js";

export function createDriver(config: Config["neo4j"]): Driver {
  return neo4j.driver(config.uri, neo4j.auth.basic(config.user, config.password), {
    disableLosslessIntegers: true,
    maxConnectionPoolSize: 50,
    connectionAcquisitionTimeout: 5_000,
    connectionTimeout: 5_000,
    maxTransactionRetryTime: 2_000,
  });
}
