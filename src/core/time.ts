/**
 * Instants travel between the API and MariaDB as DATETIME(6) text in UTC ('2026-01-02 03:04:05.123456'),
 * never as JavaScript Dates, which would drop the microseconds.
 */
export type DbInstant = string;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** The instants a DbInstant can spell: RFC 3339's four-digit years, from 0001, in UTC. */
export const FIRST_INSTANT = '0001-01-01T00:00:00Z';
export const LAST_INSTANT = '9999-12-31T23:59:59.999999Z';
const FIRST_MILLIS = utcMillis(1, 1, 1, 0, 0, 0);
const LAST_MILLIS = utcMillis(9999, 12, 31, 23, 59, 59);

/**
 * Parses an RFC 3339 date-time (any offset, up to nanoseconds) into a UTC DbInstant, truncated to
 * microseconds, or undefined when it is not one (isDateTime) or falls, once its offset is applied,
 * outside FIRST_INSTANT..LAST_INSTANT (9999-12-31T23:30:00-01:00 is in year 10000 UTC).
 */
export function parseInstant(text: string): DbInstant | undefined {
  const read = readDateTime(text);
  if (!read || !(read.millis >= FIRST_MILLIS && read.millis <= LAST_MILLIS)) return undefined;
  const utc = new Date(read.millis).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z for years 0000-9999
  return `${utc.slice(0, 10)} ${utc.slice(11, 19)}.${read.micros}`;
}

/**
 * Whether `text` is an RFC 3339 date-time that names a real instant (not Feb 30, not 25:00), in
 * any range: the `date-time` format of openapi.yaml. The range is parseInstant's to check, since
 * it holds only once the offset is applied, which a schema cannot say.
 */
export function isDateTime(text: string): boolean {
  return readDateTime(text) !== undefined;
}

function readDateTime(text: string): { millis: number; micros: string } | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zulu, sign, offH, offM] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (!zulu) {
    const oh = Number(offH);
    const om = Number(offM);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // A leap second is read as the last microsecond of its minute.
  const leap = second === 60;
  const millis = utcMillis(year, month, day, hour, minute, leap ? 59 : second) - offsetMinutes * 60_000;
  return { millis, micros: leap ? '999999' : fraction.padEnd(6, '0').slice(0, 6) };
}

/** Date.UTC without its reading of years 0-99 as 1900-1999. */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMillis(year, month + 1, 0, 0, 0, 0)).getUTCDate();
}

/**
 * A DATETIME(6) as read from MariaDB, in the one fixed form 'YYYY-MM-DD HH:MM:SS.ffffff'. The
 * binary protocol drops a zero fraction ('… 03:04:05'); instants are compared as text, hashed
 * into the event chain and put in cursors, so they must have one spelling.
 */
export function dbInstant(value: string): DbInstant {
  const dot = value.indexOf('.', 19);
  if (dot === -1) return `${value.slice(0, 19)}.000000`;
  return `${value.slice(0, 19)}.${value.slice(dot + 1).padEnd(6, '0').slice(0, 6)}`;
}

/** DbInstant to RFC 3339 UTC with microseconds: '2026-01-02T03:04:05.123456Z'. */
export function formatInstant(instant: DbInstant): string {
  return `${instant.slice(0, 10)}T${instant.slice(11)}Z`;
}

/** DbInstant to an HTTP-date for Last-Modified. */
export function httpDate(instant: DbInstant): string {
  return new Date(`${instant.slice(0, 10)}T${instant.slice(11, 19)}Z`).toUTCString();
}

/** The later of two DbInstants (fixed-width text orders like time). */
export function laterInstant(a: DbInstant, b: DbInstant): DbInstant {
  return a >= b ? a : b;
}
