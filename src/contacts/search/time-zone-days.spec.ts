import { UnknownTimeZone } from './contact-search.errors';
import { dayContaining, weekContaining } from './time-zone-days';

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('dayContaining', () => {
  it('truncates to the UTC day (the example of Intercom’s documentation)', () => {
    expect(dayContaining(1577869200, 'UTC')).toEqual({ start: 1577836800, end: 1577923200 });
    expect(dayContaining(1577836800, 'UTC')).toEqual({ start: 1577836800, end: 1577923200 });
    expect(dayContaining(1577836799, 'UTC')).toEqual({ start: 1577750400, end: 1577836800 });
  });

  it('uses the workspace time zone’s midnight', () => {
    expect(dayContaining(at('2020-01-01T09:00:00Z'), 'America/New_York')).toEqual({
      start: at('2020-01-01T05:00:00Z'),
      end: at('2020-01-02T05:00:00Z'),
    });
    expect(dayContaining(at('2024-01-01T12:00:00Z'), 'Asia/Kolkata')).toEqual({
      start: at('2023-12-31T18:30:00Z'),
      end: at('2024-01-01T18:30:00Z'),
    });
  });

  it('gives DST days 23 or 25 hours, and starts a day whose midnight does not exist at 01:00', () => {
    const spring = dayContaining(at('2024-03-10T12:00:00Z'), 'America/New_York');
    expect((spring.end - spring.start) / 3600).toBe(23);
    const autumn = dayContaining(at('2024-11-03T12:00:00Z'), 'America/New_York');
    expect((autumn.end - autumn.start) / 3600).toBe(25);
    expect(dayContaining(at('2018-11-04T12:00:00Z'), 'America/Sao_Paulo').start).toBe(
      at('2018-11-04T03:00:00Z'),
    );
  });

  it('refuses a time zone Intl does not know', () => {
    expect(() => dayContaining(0, 'Mars/Olympus_Mons')).toThrow(UnknownTimeZone);
  });
});

describe('weekContaining', () => {
  it('runs from Monday to Monday in the zone, whatever day the instant falls on', () => {
    // Wednesday 2024-01-03; Sunday 2024-01-07 late in New York is Monday in UTC.
    expect(weekContaining(at('2024-01-03T12:00:00Z'), 'UTC')).toEqual({
      start: at('2024-01-01T00:00:00Z'),
      end: at('2024-01-08T00:00:00Z'),
    });
    expect(weekContaining(at('2024-01-08T03:00:00Z'), 'America/New_York')).toEqual({
      start: at('2024-01-01T05:00:00Z'),
      end: at('2024-01-08T05:00:00Z'),
    });
    expect(weekContaining(at('2024-01-01T00:00:00Z'), 'UTC').start).toBe(
      at('2024-01-01T00:00:00Z'),
    );
  });

  it('is a week of 167 hours over a spring-forward Sunday', () => {
    const week = weekContaining(at('2024-03-06T12:00:00Z'), 'America/New_York');
    expect((week.end - week.start) / 3600).toBe(167);
  });
});
