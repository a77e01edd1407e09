// Front-matter dates. Publishers write RFC 1123 (`Sat, 02 Apr 2022 12:47:38 GMT`), ISO 8601 with
// an offset, or a wall-clock time (`2022-04-02 20:47:38`) that means the site's time zone.

const RFC1123 = /^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?\s*(?:GMT|UTC?|Z|[+-]\d{4}|[ECMP][SD]T)$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const WALL_CLOCK = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of the zone from UTC at instant `ms`, in milliseconds. */
function zoneOffset(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - (ms - (ms % 1000 + 1000) % 1000);
}

/** Parses a front-matter date; null when it is missing or unreadable (`Invalid Date`). */
export function parseDate(raw: unknown, timeZone: string): Date | null {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : raw;
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (RFC1123.test(s) || ISO_WITH_OFFSET.test(s)) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  const m = WALL_CLOCK.exec(s);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, sec = 0, frac = '0'] = m.slice(1).map((v, i) => (i === 6 ? v : v === undefined ? undefined : Number(v))) as number[];
  const naive = Date.UTC(y!, mo! - 1, d!, h, mi, sec, Number(String(frac).padEnd(3, '0')));
  const check = new Date(naive);
  // Reject 2024-02-30 and 25:00 instead of letting Date roll them over.
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d || check.getUTCHours() !== h || check.getUTCMinutes() !== mi) return null;
  // Two passes settle instants next to a daylight-saving change.
  let ms = naive - zoneOffset(naive, timeZone);
  ms = naive - zoneOffset(ms, timeZone);
  return new Date(ms);
}

/** Where an article's date came from, in the order Syndic tries them. */
export type DateSource = 'front-matter' | 'path' | 'first-seen';

const PATH_DAY = /^(\d{4})-(\d{1,2})-(\d{1,2})(?=$|[-_. ])/;
const YEAR = /^\d{4}$/;
const MONTH_OR_DAY = /^\d{1,2}$/;

/**
 * The date written in an article's path (its id: the path under content/ without the extension),
 * as midnight in the site's zone, or null. Tried in this order:
 * 1. the file name starts with a date: `2022-04-02-title`, `2022-04-02_title`, `2022-04-02`;
 * 2. the last run of folders `YYYY/MM/DD`: `2022/04/02/title`, `2022/4/2/x/title`;
 * 3. the last folder whose name starts with a date: `2022-04-02/title`.
 * Impossible dates (`2022-02-30`) are not dates.
 */
export function dateFromPath(id: string, timeZone: string): Date | null {
  const segs = id.split('/');
  const day = (y: string, m: string, d: string) => parseDate(`${y}-${m}-${d}`, timeZone);
  const name = PATH_DAY.exec(segs[segs.length - 1] ?? '');
  if (name) {
    const d = day(name[1]!, name[2]!, name[3]!);
    if (d) return d;
  }
  const folders = segs.slice(0, -1);
  for (let i = folders.length - 3; i >= 0; i--) {
    const [y, m, d] = folders.slice(i, i + 3) as [string, string, string];
    if (YEAR.test(y) && MONTH_OR_DAY.test(m) && MONTH_OR_DAY.test(d)) {
      const found = day(y, m, d);
      if (found) return found;
    }
  }
  for (let i = folders.length - 1; i >= 0; i--) {
    const m = PATH_DAY.exec(folders[i]!);
    const found = m && day(m[1]!, m[2]!, m[3]!);
    if (found) return found;
  }
  return null;
}

/** The calendar fields of an instant in a zone (for permalink patterns), zero-padded. */
export function zonedParts(date: Date, timeZone: string): { year: string; month: string; day: string; hour: string; minute: string; second: string } {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(date)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const two = (n: number) => String(n).padStart(2, '0');
  return { year: String(p.year).padStart(4, '0'), month: two(p.month!), day: two(p.day!), hour: two(p.hour! % 24), minute: two(p.minute!), second: two(p.second!) };
}
