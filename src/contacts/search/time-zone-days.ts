import { UnknownTimeZone } from './contact-search.errors';

/** Start (inclusive) and end (exclusive) of a calendar day, in unix seconds. */
export interface DayBounds {
  readonly start: number;
  readonly end: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
      });
    } catch {
      throw new UnknownTimeZone(timeZone);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws {@link UnknownTimeZone} unless `Intl` knows the IANA name. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

/** The local calendar date of an instant as `yyyymmdd`, so dates compare as numbers. */
function localDate(formatter: Intl.DateTimeFormat, seconds: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  for (const part of formatter.formatToParts(seconds * 1000)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  return year * 10_000 + month * 100 + day;
}

const SEARCH_WINDOW_SECONDS = 50 * 3600;

/**
 * The first second in `[low, high]` whose local date is at least `date`. A binary search rather
 * than offset arithmetic, so days that start at 01:00 (DST at midnight) or last 23 or 25 hours
 * come out right without special cases.
 */
function firstSecondOfDate(
  formatter: Intl.DateTimeFormat,
  date: number,
  low: number,
  high: number,
): number {
  let lo = low;
  let hi = high;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(formatter, mid) >= date) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The calendar day, in `timeZone`, that contains the instant `seconds`: Intercom truncates a date
 * filter's value to that day (`=` is the day, `<` is before it, `>` is from the next day).
 */
export function dayContaining(seconds: number, timeZone: string): DayBounds {
  const formatter = formatterFor(timeZone);
  const instant = Math.floor(seconds);
  const date = localDate(formatter, instant);
  const start = firstSecondOfDate(formatter, date, instant - SEARCH_WINDOW_SECONDS, instant);
  // `date + 1` may be no real date (20200132); the search still lands on the next day's first second.
  const end = firstSecondOfDate(formatter, date + 1, instant + 1, start + SEARCH_WINDOW_SECONDS);
  return { start, end };
}

/** `date` (`yyyymmdd`) moved by `days` calendar days, and its weekday (0: Sunday). */
function calendarDay(date: number, days = 0): { readonly date: number; readonly weekday: number } {
  const day = new Date(
    Date.UTC(Math.floor(date / 10_000), (Math.floor(date / 100) % 100) - 1, (date % 100) + days),
  );
  return {
    date: day.getUTCFullYear() * 10_000 + (day.getUTCMonth() + 1) * 100 + day.getUTCDate(),
    weekday: day.getUTCDay(),
  };
}

const WEEK_SEARCH_WINDOW_SECONDS = 7 * 86_400 + SEARCH_WINDOW_SECONDS;

/**
 * The calendar week, Monday to Sunday (ISO 8601), in `timeZone`, that contains the instant
 * `seconds`: from the first second of its Monday to the first of the next Monday.
 */
export function weekContaining(seconds: number, timeZone: string): DayBounds {
  const formatter = formatterFor(timeZone);
  const instant = Math.floor(seconds);
  const today = localDate(formatter, instant);
  const sinceMonday = (calendarDay(today).weekday + 6) % 7;
  const monday = calendarDay(today, -sinceMonday).date;
  const nextMonday = calendarDay(today, 7 - sinceMonday).date;
  const start = firstSecondOfDate(formatter, monday, instant - WEEK_SEARCH_WINDOW_SECONDS, instant);
  const end = firstSecondOfDate(
    formatter,
    nextMonday,
    instant + 1,
    start + WEEK_SEARCH_WINDOW_SECONDS,
  );
  return { start, end };
}
