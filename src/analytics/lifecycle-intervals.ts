import { dayContaining, weekContaining } from '../contacts/search/time-zone-days';

export const LIFECYCLE_INTERVALS = ['day', 'week'] as const;
export type LifecycleInterval = (typeof LIFECYCLE_INTERVALS)[number];

/** The most intervals one funnel answers: a year of days, seven of weeks. */
export const MAX_LIFECYCLE_INTERVALS = 366;

/** An interval of the funnel, in unix seconds: `start` inclusive, `end` exclusive. */
export interface FunnelInterval {
  readonly start: number;
  readonly end: number;
}

/**
 * `[from, to)` cut at the calendar days (or Monday-to-Sunday weeks) of `timeZone`: the first and
 * last intervals are the parts of their day or week inside the range, so the intervals cover the
 * range exactly. Undefined when there would be more than `MAX_LIFECYCLE_INTERVALS`.
 */
export function lifecycleIntervals(
  from: number,
  to: number,
  interval: LifecycleInterval,
  timeZone: string,
): FunnelInterval[] | undefined {
  const containing = interval === 'day' ? dayContaining : weekContaining;
  const intervals: FunnelInterval[] = [];
  for (let start = from; start < to;) {
    if (intervals.length === MAX_LIFECYCLE_INTERVALS) return undefined;
    const { end } = containing(start, timeZone);
    intervals.push({ start, end: Math.min(end, to) });
    start = end;
  }
  return intervals;
}
