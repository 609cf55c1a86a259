// A read-only gate for admin Cypher: refuses, before anything reaches the database, a query
// that writes, changes the schema or the DBMS, loads files, switches database, or calls a
// procedure off the allowlist. It is the first line; the READ access mode of the transaction
// that runs the query is the second, for anything this check misses.

const WRITE_OR_ADMIN = [
  "CREATE",
  "MERGE",
  "DELETE",
  "DETACH",
  "SET",
  "REMOVE",
  "DROP",
  "FOREACH",
  "LOAD",
  "USE",
  "ALTER",
  "GRANT",
  "DENY",
  "REVOKE",
  "RENAME",
  "START",
  "STOP",
  "TERMINATE",
  "ENABLE",
  "DEALLOCATE",
  "REALLOCATE",
  "INSERT",
  "FINISH",
];

/** Compiled once: the check runs on every graph_query call. */
const WRITE_OR_ADMIN_PATTERNS = WRITE_OR_ADMIN.map((keyword) => [keyword, new RegExp(`\\b${keyword}\\b`)] as const);

/** Procedures and functions that read metadata only. */
const ALLOWED_PROCEDURES = new Set([
  "db.labels",
  "db.relationshiptypes",
  "db.propertykeys",
  "db.schema.visualization",
  "db.schema.nodetypeproperties",
  "db.schema.reltypeproperties",
]);

export class CypherRefusedError extends Error {
  override readonly name = "CypherRefusedError";
}

/**
 * The query with string literals, quoted names and comments blanked out, so that keywords are
 * only found where Cypher would read them as keywords.
 */
export function codeOnly(query: string): string {
  let out = "";
  for (let i = 0; i < query.length;) {
    const char = query[i] as string;
    const next = query[i + 1];
    if (char === "/" && next === "/") {
      const end = query.indexOf("\n", i);
      i = end < 0 ? query.length : end;
      out += " ";
    } else if (char === "/" && next === "*") {
      const end = query.indexOf("*/", i + 2);
      if (end < 0) throw new CypherRefusedError("blocked: unterminated comment");
      i = end + 2;
      out += " ";
    } else if (char === "'" || char === '"' || char === "`") {
      let j = i + 1;
      for (; j < query.length; j++) {
        if (query[j] === "\\" && char !== "`") j++;
        else if (query[j] === char) {
          if (char === "`" && query[j + 1] === "`")
            j++; // `` escapes a backtick inside a name
          else break;
        }
      }
      if (j >= query.length) throw new CypherRefusedError("blocked: unterminated quote");
      out += char === "`" ? " name " : " 'text' ";
      i = j + 1;
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

/** Throws a CypherRefusedError naming the rule when the query is not plainly read-only. */
export function assertReadOnlyCypher(query: string): void {
  if (query.length > 10_000) throw new CypherRefusedError("blocked: query longer than 10000 characters");
  const code = codeOnly(query.normalize("NFKC"));
  if (/[^\t\n\r\x20-\x7e]/.test(code))
    throw new CypherRefusedError("blocked: characters outside printable ASCII in query text");
  const upper = code.toUpperCase();
  for (const [keyword, pattern] of WRITE_OR_ADMIN_PATTERNS) {
    if (pattern.test(upper)) throw new CypherRefusedError(`blocked: ${keyword} is not allowed in a read-only query`);
  }
  if (/\bIN\s+(CONCURRENT\s+)?TRANSACTIONS\b/.test(upper))
    throw new CypherRefusedError("blocked: CALL ... IN TRANSACTIONS is not allowed");
  if (/\bSHOW\b/.test(upper)) throw new CypherRefusedError("blocked: SHOW (DBMS administration) is not allowed");
  for (const match of upper.matchAll(/\bCALL\s*([A-Z0-9_.]+)?\s*(\(|\{|$|\s)/g)) {
    const procedure = match[1]?.toLowerCase();
    if (procedure === undefined || procedure === "") {
      if (match[2] === "{") continue; // a subquery: its own clauses were checked above
      throw new CypherRefusedError("blocked: CALL must name an allowed procedure");
    }
    if (!ALLOWED_PROCEDURES.has(procedure))
      throw new CypherRefusedError(`blocked: procedure ${procedure} is not on the read-only allowlist`);
  }
  if (/\b(DBMS|APOC|GDS|TX)\s*\./.test(upper))
    throw new CypherRefusedError("blocked: dbms, apoc, gds and tx functions are not allowed");
}
