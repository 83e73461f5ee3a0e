import { lifecycleIntervals, MAX_LIFECYCLE_INTERVALS } from './lifecycle-intervals';

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('the intervals of a lifecycle funnel', () => {
  it('cuts the range at the days of the zone, its ends cut to the range', () => {
    expect(
      lifecycleIntervals(at('2024-01-01T12:00:00Z'), at('2024-01-03T06:00:00Z'), 'day', 'UTC'),
    ).toEqual([
      { start: at('2024-01-01T12:00:00Z'), end: at('2024-01-02T00:00:00Z') },
      { start: at('2024-01-02T00:00:00Z'), end: at('2024-01-03T00:00:00Z') },
      { start: at('2024-01-03T00:00:00Z'), end: at('2024-01-03T06:00:00Z') },
    ]);
    expect(
      lifecycleIntervals(
        at('2024-01-01T00:00:00Z'),
        at('2024-01-02T00:00:00Z'),
        'day',
        'Asia/Kolkata',
      ),
    ).toEqual([
      { start: at('2024-01-01T00:00:00Z'), end: at('2024-01-01T18:30:00Z') },
      { start: at('2024-01-01T18:30:00Z'), end: at('2024-01-02T00:00:00Z') },
    ]);
  });

  it('cuts at Mondays for weeks', () => {
    expect(
      lifecycleIntervals(at('2024-01-03T00:00:00Z'), at('2024-01-20T00:00:00Z'), 'week', 'UTC'),
    ).toEqual([
      { start: at('2024-01-03T00:00:00Z'), end: at('2024-01-08T00:00:00Z') },
      { start: at('2024-01-08T00:00:00Z'), end: at('2024-01-15T00:00:00Z') },
      { start: at('2024-01-15T00:00:00Z'), end: at('2024-01-20T00:00:00Z') },
    ]);
  });

  it(`answers at most ${MAX_LIFECYCLE_INTERVALS} intervals`, () => {
    const from = at('2023-01-01T00:00:00Z');
    const day = 86_400;
    expect(
      lifecycleIntervals(from, from + MAX_LIFECYCLE_INTERVALS * day, 'day', 'UTC'),
    ).toHaveLength(MAX_LIFECYCLE_INTERVALS);
    expect(lifecycleIntervals(from, from + MAX_LIFECYCLE_INTERVALS * day + 1, 'day', 'UTC')).toBe(
      undefined,
    );
  });
});
