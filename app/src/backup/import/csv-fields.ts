// A backup's property values as fields of Neo4j's bulk importer (`neo4j-admin database import`):
// each one's column type and its text, written so that the importer reads back exactly the value
// the backup holds. A value its CSV cannot carry exactly is deferred: the import leaves it out,
// and the restore writes it online, through the driver, when it finishes. Those are empty lists
// and byte arrays (an empty field is no property at all), lists with an empty string, strings in
// lists that hold the array delimiter, offsets that are not whole minutes (the importer parses
// none), datetimes with a zone and no offset, and strings that are not well-formed UTF-16.
// Anything that is not a value at all is a format error, as it is for the online restore.
import {
  BackupFormatError,
  checkedInteger,
  decodeBytes,
  decodeFloat,
  wholeNumbers,
  type DateTimeFields,
  type EncodedValue,
} from "../values.js";

/** Between the elements of an array field: a control character no label or list element may hold (those are deferred). */
export const ARRAY_DELIMITER = "\u001f";

export interface CsvField {
  /** The importer's column type: `long`, `string[]`, `datetime`, ... */
  type: string;
  /** The field as written, quoted where it is text. */
  text: string;
}

/** Thrown, and caught by the caller, for a value that must be written online instead. */
export const DEFERRED: unique symbol = Symbol("deferred");
export type FieldOrDeferred = CsvField | typeof DEFERRED;

/** Every string the importer reads is quoted: commas, quotes and newlines inside are then plain text. */
export const quoted = (text: string): string => `"${text.replaceAll('"', '""')}"`;

const pad = (value: number, width: number) => String(value).padStart(width, "0");

/** A float as Java parses it back: NaN, Infinity, -Infinity and -0.0 spelled as Java spells them. */
function floatText(value: unknown): string {
  const number = decodeFloat(value);
  return Object.is(number, -0) ? "-0.0" : String(number);
}

function inRange(tag: string, checks: Array<[number, number, number]>): void {
  for (const [value, low, high] of checks)
    if (value < low || value > high) throw new BackupFormatError(`malformed ${tag}: ${value} is out of range`);
}

function dateText(year: number, month: number, day: number): string {
  inRange("date", [
    [year, -999_999_999, 999_999_999],
    [month, 1, 12],
    [day, 1, 31],
  ]);
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? "-" : "+"}${pad(Math.abs(year), 4)}`;
  return `${yearText}-${pad(month, 2)}-${pad(day, 2)}`;
}

function timeText(hour: number, minute: number, second: number, nanosecond: number): string {
  inRange("time", [
    [hour, 0, 23],
    [minute, 0, 59],
    [second, 0, 59],
    [nanosecond, 0, 999_999_999],
  ]);
  return `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${nanosecond > 0 ? `.${pad(nanosecond, 9)}` : ""}`;
}

/** `+01:00`, `Z`; undefined for an offset of seconds, which the importer cannot parse. */
function offsetText(offset: number): string | undefined {
  inRange("offset", [[offset, -18 * 3600, 18 * 3600]]);
  if (offset % 60 !== 0) return undefined;
  if (offset === 0) return "Z";
  const minutes = Math.abs(offset) / 60;
  return `${offset < 0 ? "-" : "+"}${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;
}

/** `PT-5.000000001S` for -6 s + 999999999 ns: the sign applies to seconds and fraction together. */
function durationText(parts: unknown): string {
  if (!Array.isArray(parts) || parts.length !== 4) throw new BackupFormatError("malformed duration");
  const [months, days, seconds, nanos] = parts.map(checkedInteger) as [string, string, string, string];
  const nanoseconds = Number(nanos);
  if (nanoseconds < 0 || nanoseconds > 999_999_999)
    throw new BackupFormatError(`malformed duration: ${nanos} nanoseconds`);
  let secondsText = seconds;
  if (nanoseconds > 0) {
    const whole = BigInt(seconds);
    secondsText =
      whole >= 0n ? `${seconds}.${pad(nanoseconds, 9)}` : `-${-whole - 1n}.${pad(1_000_000_000 - nanoseconds, 9)}`;
  }
  return `P${months}M${days}DT${secondsText}S`;
}

const CRS: Record<number, { name: string; dimensions: number }> = {
  7203: { name: "cartesian", dimensions: 2 },
  9157: { name: "cartesian-3d", dimensions: 3 },
  4326: { name: "wgs-84", dimensions: 2 },
  4979: { name: "wgs-84-3d", dimensions: 3 },
};

function pointText(parts: unknown): string | undefined {
  if (!Array.isArray(parts) || (parts.length !== 3 && parts.length !== 4) || typeof parts[0] !== "number")
    throw new BackupFormatError("malformed point");
  const coordinates = parts.slice(1).map(floatText);
  const crs = CRS[parts[0]];
  // Neo4j holds no other reference system, nor a coordinate that is not finite: the online write decides.
  if (!crs || crs.dimensions !== coordinates.length || coordinates.some((text) => !/\d/.test(text) || /n/i.test(text)))
    return undefined;
  const [x, y, z] = coordinates;
  return `{crs:'${crs.name}',x:${x},y:${y}${z === undefined ? "" : `,z:${z}`}}`;
}

/** The seven local fields of a (local) datetime as `2024-01-01T10:00:00.5`. */
function localDateTimeText(parts: unknown, tag: string): string {
  const [year, month, day, hour, minute, second, nano] = wholeNumbers(parts, [7], tag) as DateTimeFields;
  return `${dateText(year, month, day)}T${timeText(hour, minute, second, nano)}`;
}

/** A scalar's type and unquoted text; undefined when it must be deferred. */
function scalar(value: EncodedValue): { type: string; text: string } | undefined {
  if (typeof value === "string") return value.isWellFormed() ? { type: "string", text: value } : undefined;
  if (typeof value === "boolean") return { type: "boolean", text: String(value) };
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BackupFormatError(`malformed value: ${JSON.stringify(value)}`);
  const tagged = value as Record<string, unknown>;
  const [tag] = Object.keys(tagged);
  switch (tag) {
    case "i":
      return { type: "long", text: checkedInteger(tagged.i) };
    case "f":
      return { type: "double", text: floatText(tagged.f) };
    case "date": {
      const [year, month, day] = wholeNumbers(tagged.date, [3], "date") as [number, number, number];
      return { type: "date", text: dateText(year, month, day) };
    }
    case "ltime": {
      const [hour, minute, second, nano] = wholeNumbers(tagged.ltime, [4], "local time") as [
        number,
        number,
        number,
        number,
      ];
      return { type: "localtime", text: timeText(hour, minute, second, nano) };
    }
    case "time": {
      const [hour, minute, second, nano, offset] = wholeNumbers(tagged.time, [5], "time") as [
        number,
        number,
        number,
        number,
        number,
      ];
      const zone = offsetText(offset);
      return zone === undefined ? undefined : { type: "time", text: `${timeText(hour, minute, second, nano)}${zone}` };
    }
    case "ldt":
      return { type: "localdatetime", text: localDateTimeText(tagged.ldt, "local datetime") };
    case "dt": {
      const local = localDateTimeText(tagged.dt, "datetime");
      const offset = typeof tagged.off === "number" ? tagged.off : undefined;
      const zone = typeof tagged.tz === "string" ? tagged.tz : undefined;
      if (offset === undefined && zone === undefined) throw new BackupFormatError("a datetime without offset or zone");
      // With its zone the text carries its offset too: that alone tells apart the two readings of an hour the clocks repeat.
      const offsetPart = offset === undefined ? undefined : offsetText(offset);
      if (offsetPart === undefined || (zone !== undefined && !/^[A-Za-z0-9_+/-]+$/.test(zone))) return undefined;
      return { type: "datetime", text: `${local}${offsetPart}${zone === undefined ? "" : `[${zone}]`}` };
    }
    case "dur":
      return { type: "duration", text: durationText(tagged.dur) };
    case "pt": {
      const text = pointText(tagged.pt);
      return text === undefined ? undefined : { type: "point", text };
    }
    default:
      throw new BackupFormatError(`unknown value tag ${JSON.stringify(tag)}`);
  }
}

function bytesField(encoded: unknown): FieldOrDeferred {
  const bytes = decodeBytes(encoded);
  if (bytes.length === 0) return DEFERRED;
  return { type: "byte[]", text: Array.from(new Int8Array(bytes)).join(ARRAY_DELIMITER) };
}

function listField(items: unknown): FieldOrDeferred {
  if (!Array.isArray(items)) throw new BackupFormatError("malformed list");
  if (items.length === 0) return DEFERRED;
  let type: string | undefined;
  let deferred = false;
  const texts: string[] = [];
  for (const item of items as EncodedValue[]) {
    if (item === null) throw new BackupFormatError("a list that holds null, which Neo4j cannot store");
    if (typeof item === "object" && ("l" in item || "b" in item))
      throw new BackupFormatError("a list that holds a list, which Neo4j cannot store");
    const element = scalar(item);
    if (element === undefined) {
      deferred = true;
      continue;
    }
    type ??= element.type;
    if (element.type !== type)
      throw new BackupFormatError(`a list of both ${type} and ${element.type}, which Neo4j cannot store`);
    // An empty element, or one holding the delimiter, would not split back into the same list.
    if (element.type === "string" && (element.text === "" || element.text.includes(ARRAY_DELIMITER))) deferred = true;
    texts.push(element.text);
  }
  if (deferred) return DEFERRED;
  return { type: `${type}[]`, text: quoted(texts.join(ARRAY_DELIMITER)) };
}

/** One property value as an importer field, DEFERRED when the import cannot carry it exactly. */
export function csvField(value: EncodedValue): FieldOrDeferred {
  if (value === null) throw new BackupFormatError("a property whose value is null, which Neo4j cannot store");
  if (typeof value === "object" && !Array.isArray(value)) {
    if ("l" in value) return listField(value.l);
    if ("b" in value) return bytesField(value.b);
  }
  const field = scalar(value);
  if (field === undefined) return DEFERRED;
  // A point's text holds commas; every other scalar but a string is digits, signs and letters.
  return field.type === "string" || field.type === "point" ? { type: field.type, text: quoted(field.text) } : field;
}
