// The importer's input files, written as the backup is read: the nodes (or relationships) in
// groups, each a data file and a header file written last, once the group's columns are known.
// A group takes every row whose property types agree with its columns; a key first seen adds a
// column, and rows written before it simply end earlier (the importer reads a missing field as
// no property). Only a key of another type than before opens another group.
import { closeSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import type { CsvField } from "./csv-fields.js";
import { quoted } from "./csv-fields.js";

/** Most columns in one group, and most groups: a graph of more shapes than that is restored online. */
export const MAX_COLUMNS = 4096;
export const MAX_GROUPS = 256;
/** Buffered text across all groups before it is written out. */
const FLUSH_CHARS = 4 * 1024 * 1024;

export class ImportShapeError extends Error {
  override readonly name = "ImportShapeError";
  readonly code = "ERR_IMPORT_SHAPE";
}

class Group {
  readonly columns = new Map<string, { index: number; type: string }>();
  private readonly fd: number;
  private pending: string[] = [];
  rows = 0;
  headerChars = 0;

  constructor(
    readonly dataFile: string,
    readonly headerFile: string,
  ) {
    this.fd = openSync(dataFile, "w", 0o600);
  }

  /** Whether every property is either a column of its type here or a new key (and there is room for the new ones). */
  accepts(properties: ReadonlyArray<readonly [string, CsvField]>): boolean {
    let added = 0;
    for (const [key, field] of properties) {
      const column = this.columns.get(key);
      if (column === undefined) added += 1;
      else if (column.type !== field.type) return false;
    }
    return this.columns.size + added <= MAX_COLUMNS;
  }

  push(line: string): number {
    this.pending.push(line);
    this.rows += 1;
    return line.length;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(""));
    this.pending = [];
  }

  discard(): void {
    this.pending = [];
    closeSync(this.fd);
  }

  close(fixedHeader: readonly string[]): void {
    this.flush();
    closeSync(this.fd);
    const columns = [...this.columns].sort((a, b) => a[1].index - b[1].index);
    const header = [...fixedHeader, ...columns.map(([key, { type }]) => quoted(`${key}:${type}`))].join(",");
    const fd = openSync(this.headerFile, "w", 0o600);
    try {
      writeSync(fd, `${header}\n`);
    } finally {
      closeSync(fd);
    }
  }
}

export interface GroupFiles {
  /** The header file, then the data file: the importer's `--nodes=header,data`. */
  header: string;
  data: string;
  rows: number;
}

export class CsvGroups {
  private readonly groups: Group[] = [];
  /** The group a row of exactly these keys and types went to last. */
  private readonly bySignature = new Map<string, Group>();
  private buffered = 0;
  /** Whether any field holds a line break: the importer must then be told fields span lines. */
  multiline = false;
  /** The longest field written: the importer's read buffer must hold it. */
  longestField = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly fixedHeader: readonly string[],
  ) {}

  /** One row: its fixed fields (already quoted as they must be) and its properties. */
  add(fixed: readonly string[], properties: ReadonlyArray<readonly [string, CsvField]>): void {
    const group = this.groupFor(properties);
    for (const [key, field] of properties) {
      if (group.columns.has(key)) continue;
      group.columns.set(key, { index: group.columns.size, type: field.type });
      // The header line holds every key: the importer's buffer must hold it.
      group.headerChars += key.length + field.type.length + 4;
      this.longestField = Math.max(this.longestField, group.headerChars);
    }
    const fields = new Array<string>(properties.length === 0 ? 0 : group.columns.size).fill("");
    let last = -1;
    for (const [key, field] of properties) {
      const index = (group.columns.get(key) as { index: number }).index;
      fields[index] = field.text;
      last = Math.max(last, index);
      this.note(field.text);
    }
    for (const text of fixed) this.note(text);
    const line = [...fixed, ...fields.slice(0, last + 1)].join(",");
    this.buffered += group.push(`${line}\n`);
    if (this.buffered >= FLUSH_CHARS) {
      for (const each of this.groups) each.flush();
      this.buffered = 0;
    }
  }

  private note(text: string): void {
    if (text.length > this.longestField) this.longestField = text.length;
    if (!this.multiline && (text.includes("\n") || text.includes("\r"))) this.multiline = true;
  }

  private groupFor(properties: ReadonlyArray<readonly [string, CsvField]>): Group {
    let signature = "";
    for (const [key, field] of properties) signature += `${key}\u0000${field.type}\u0000`;
    const known = this.bySignature.get(signature);
    if (known) return known;
    let group = this.groups.find((candidate) => candidate.accepts(properties));
    if (!group) {
      if (this.groups.length >= MAX_GROUPS)
        throw new ImportShapeError(
          `the backup's ${this.name} take more than ${MAX_GROUPS} groups of property types (the same key with different types, or over ${MAX_COLUMNS} keys); restore it online instead`,
        );
      const base = path.join(this.dir, `${this.name}-${this.groups.length}`);
      group = new Group(`${base}.csv`, `${base}-header.csv`);
      this.groups.push(group);
    }
    this.bySignature.set(signature, group);
    return group;
  }

  /** Closes every file without writing the headers: the import is abandoned, and its directory with it. */
  discard(): void {
    for (const group of this.groups) group.discard();
  }

  /** Writes every header and closes every file; the groups that hold rows, in the order they were opened. */
  close(): GroupFiles[] {
    for (const group of this.groups) group.close(this.fixedHeader);
    return this.groups
      .filter((group) => group.rows > 0)
      .map((group) => ({ header: group.headerFile, data: group.dataFile, rows: group.rows }));
  }
}
