// The driver backups and restores use, in the main thread and in each reader thread alike.
import neo4j, { type Driver } from "neo4j-driver";
import { installChunkCursor } from "../store/chunked-reads.js";
import { trustOptions } from "../store/driver.js";

/** Where and as whom a backup or restore connects; with a CA file, Bolt TLS is verified against that bundle alone. */
export interface BackupConnection {
  uri: string;
  user: string;
  password: string;
  caFile?: string | undefined;
}

/** Integers stay lossless (beyond 2^53); large messages are read with the chunk cursor. */
export function backupDriver(connection: BackupConnection): Driver {
  installChunkCursor();
  const { uri, options } = trustOptions(connection.uri, connection.caFile);
  return neo4j.driver(uri, neo4j.auth.basic(connection.user, connection.password), {
    disableLosslessIntegers: false,
    maxTransactionRetryTime: 30_000,
    connectionTimeout: 10_000,
    ...options,
  });
}

/** One query in a session of its own, its whole result read. */
export async function run(driver: Driver, database: string, query: string, parameters: Record<string, unknown> = {}) {
  const session = driver.session({ database });
  try {
    return await session.run(query, parameters);
  } finally {
    await session.close();
  }
}
