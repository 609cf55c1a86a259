// Where Neo4j is and who connects: the settings the server and the backup read alike, written
// once. Each configuration adds its own around them.
import { z } from "zod";

export const neo4jConnectionSettings = {
  NEO4J_URI: z.string().regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\/.+/, "must be a bolt:// or neo4j:// URI"),
  NEO4J_USER: z.string().min(1).default("neo4j"),
  NEO4J_PASSWORD_FILE: z.string().min(1),
  NEO4J_DATABASE: z.string().min(1).default("neo4j"),
};
