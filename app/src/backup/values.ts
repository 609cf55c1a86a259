// Neo4j property values <-> JSON, losslessly: integers beyond 2^53, NaN, the infinities and -0,
// byte arrays, every temporal type with its offset or zone, and 2D/3D points. Strings and
// booleans stay plain; everything else is a one-key tagged object.
import neo4j, {
  Date as Neo4jDate,
  DateTime,
  Duration,
  Integer,
  LocalDateTime,
  LocalTime,
  Point,
  Time,
} from "neo4j-driver";

export type EncodedValue =
  | string
  | boolean
  | null
  | { i: string }
  | { f: number | "NaN" | "Infinity" | "-Infinity" | "-0" }
  | { b: string }
  | { l: EncodedValue[] }
  | { date: [number, number, number] }
  | { ltime: [number, number, number, number] }
  | { time: [number, number, number, number, number] }
  | { ldt: [number, number, number, number, number, number, number] }
  | { dt: [number, number, number, number, number, number, number]; off?: number; tz?: string }
  | { dur: [string, string, string, string] }
  | { pt: [number, ...EncodedFloat[]] };

type EncodedFloat = number | "NaN" | "Infinity" | "-Infinity" | "-0";

export class BackupFormatError extends Error {
  override readonly name = "BackupFormatError";
  readonly code = "ERR_BACKUP_FORMAT";
}

const num = (value: number | Integer): number =>
  Integer.isInteger(value) ? (value as Integer).toNumber() : (value as number);

function encodeFloat(value: number): EncodedFloat {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return value;
}

/** A backup's float (a number, or "NaN", "Infinity", "-Infinity", "-0"), as the number it stands for. */
export function decodeFloat(value: unknown): number {
  if (typeof value === "number") return value;
  switch (value) {
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Infinity;
    case "-Infinity":
      return -Infinity;
    case "-0":
      return -0;
    default:
      throw new BackupFormatError(`not a float: ${JSON.stringify(value)}`);
  }
}

export function encodeValue(value: unknown): EncodedValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  // Lossless integers are on in the backup's driver: a JS number is always a float.
  if (typeof value === "number") return { f: encodeFloat(value) };
  // Integer's own toString divides step by step; one in the safe range prints as the number it is.
  if (Integer.isInteger(value))
    return {
      i: (value as Integer).inSafeRange() ? String((value as Integer).toNumber()) : (value as Integer).toString(),
    };
  if (typeof value === "bigint") return { i: value.toString() };
  // The driver reads a byte array as an Int8Array, and writes only an Int8Array as one (any other
  // typed array becomes a list of floats), so no other typed array is a byte array here.
  if (value instanceof Int8Array)
    return { b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  if (Array.isArray(value)) return { l: value.map(encodeValue) };
  if (neo4j.isDate(value as object)) {
    const date = value as Neo4jDate;
    return { date: [num(date.year), num(date.month), num(date.day)] };
  }
  if (neo4j.isLocalTime(value as object)) {
    const time = value as LocalTime;
    return { ltime: [num(time.hour), num(time.minute), num(time.second), num(time.nanosecond)] };
  }
  if (neo4j.isTime(value as object)) {
    const time = value as Time;
    return {
      time: [num(time.hour), num(time.minute), num(time.second), num(time.nanosecond), num(time.timeZoneOffsetSeconds)],
    };
  }
  if (neo4j.isLocalDateTime(value as object)) {
    const local = value as LocalDateTime;
    return {
      ldt: [
        num(local.year),
        num(local.month),
        num(local.day),
        num(local.hour),
        num(local.minute),
        num(local.second),
        num(local.nanosecond),
      ],
    };
  }
  if (neo4j.isDateTime(value as object)) {
    const dateTime = value as DateTime;
    const fields: [number, number, number, number, number, number, number] = [
      num(dateTime.year),
      num(dateTime.month),
      num(dateTime.day),
      num(dateTime.hour),
      num(dateTime.minute),
      num(dateTime.second),
      num(dateTime.nanosecond),
    ];
    return {
      dt: fields,
      ...(dateTime.timeZoneOffsetSeconds !== undefined && dateTime.timeZoneOffsetSeconds !== null
        ? { off: num(dateTime.timeZoneOffsetSeconds) }
        : {}),
      ...(dateTime.timeZoneId ? { tz: dateTime.timeZoneId } : {}),
    };
  }
  if (neo4j.isDuration(value as object)) {
    const duration = value as Duration;
    return {
      dur: [String(duration.months), String(duration.days), String(duration.seconds), String(duration.nanoseconds)],
    };
  }
  if (neo4j.isPoint(value as object)) {
    const point = value as Point;
    const coordinates = [point.x, point.y, ...(point.z === undefined || point.z === null ? [] : [point.z])].map(
      (coordinate) => encodeFloat(Number(coordinate)),
    );
    return { pt: [num(point.srid), ...coordinates] };
  }
  throw new BackupFormatError(`a property value of an unknown type (${Object.prototype.toString.call(value)})`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A backup's integer text, checked: digits, and within 64 bits (the driver's parser would wrap
 * a larger one silently into another value).
 */
export function checkedInteger(text: unknown): string {
  if (typeof text !== "string" || !/^-?\d+$/.test(text))
    throw new BackupFormatError(`not an integer: ${JSON.stringify(text)}`);
  if (text.length >= 19) {
    const big = BigInt(text);
    if (big < INT64_MIN || big > INT64_MAX) throw new BackupFormatError(`an integer beyond 64 bits: ${text}`);
  }
  return text;
}

const int = (text: unknown): Integer => neo4j.int(checkedInteger(text));

/** The seven fields of a (local) datetime: year, month, day, hour, minute, second, nanosecond. */
export type DateTimeFields = [number, number, number, number, number, number, number];

/** An array of `length` (one of) whole numbers, or a format error naming `tag`. */
export function wholeNumbers(value: unknown, length: number[], tag: string): number[] {
  if (
    !Array.isArray(value) ||
    !length.includes(value.length) ||
    !value.every((item) => typeof item === "number" && Number.isInteger(item))
  ) {
    throw new BackupFormatError(`malformed ${tag}: ${JSON.stringify(value)}`);
  }
  return value as number[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A backup's byte array (padded base64) as its bytes. Buffer's decoder skips what is not base64: checked first, so damage is an error, not other bytes. */
export function decodeBytes(encoded: unknown): Buffer {
  if (typeof encoded !== "string" || encoded.length % 4 !== 0 || !BASE64.test(encoded))
    throw new BackupFormatError("malformed bytes: not padded base64");
  return Buffer.from(encoded, "base64");
}

/** The driver's byte array type, Int8Array, over a copy of the bytes (not Buffer's shared pool). */
const byteArray = (bytes: Buffer): Int8Array =>
  new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value !== "object" || Array.isArray(value))
    throw new BackupFormatError(`malformed value: ${JSON.stringify(value)}`);
  const tagged = value as Record<string, unknown>;
  const [tag] = Object.keys(tagged);
  switch (tag) {
    case "i":
      return int(tagged.i);
    case "f":
      return decodeFloat(tagged.f);
    case "b":
      return byteArray(decodeBytes(tagged.b));
    case "l":
      if (!Array.isArray(tagged.l)) throw new BackupFormatError("malformed list");
      return tagged.l.map(decodeValue);
    case "date": {
      const [y, m, d] = wholeNumbers(tagged.date, [3], "date") as [number, number, number];
      return new Neo4jDate(y, m, d);
    }
    case "ltime": {
      const [h, mi, s, ns] = wholeNumbers(tagged.ltime, [4], "local time") as [number, number, number, number];
      return new LocalTime(h, mi, s, ns);
    }
    case "time": {
      const [h, mi, s, ns, off] = wholeNumbers(tagged.time, [5], "time") as [number, number, number, number, number];
      return new Time(h, mi, s, ns, off);
    }
    case "ldt": {
      const [y, mo, d, h, mi, s, ns] = wholeNumbers(tagged.ldt, [7], "local datetime") as DateTimeFields;
      return new LocalDateTime(y, mo, d, h, mi, s, ns);
    }
    case "dt": {
      const [y, mo, d, h, mi, s, ns] = wholeNumbers(tagged.dt, [7], "datetime") as DateTimeFields;
      const offset = typeof tagged.off === "number" ? tagged.off : undefined;
      const zone = typeof tagged.tz === "string" ? tagged.tz : undefined;
      if (offset === undefined && zone === undefined) throw new BackupFormatError("a datetime without offset or zone");
      return new DateTime(y, mo, d, h, mi, s, ns, offset, zone);
    }
    case "dur": {
      const parts = tagged.dur;
      if (!Array.isArray(parts) || parts.length !== 4) throw new BackupFormatError("malformed duration");
      return new Duration(int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]));
    }
    case "pt": {
      const parts = tagged.pt;
      if (!Array.isArray(parts) || (parts.length !== 3 && parts.length !== 4) || typeof parts[0] !== "number")
        throw new BackupFormatError("malformed point");
      const [srid, x, y, z] = [
        parts[0],
        decodeFloat(parts[1]),
        decodeFloat(parts[2]),
        parts.length === 4 ? decodeFloat(parts[3]) : undefined,
      ];
      return new Point(srid, x, y, z);
    }
    default:
      throw new BackupFormatError(`unknown value tag ${JSON.stringify(tag)}`);
  }
}

export function decodeProperties(properties: unknown): Record<string, unknown> {
  if (typeof properties !== "object" || properties === null || Array.isArray(properties))
    throw new BackupFormatError("properties must be an object");
  return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, decodeValue(value)]));
}
