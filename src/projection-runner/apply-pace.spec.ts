import { ApplyPace } from './apply-pace';

describe('ApplyPace', () => {
  it('is the events passed per second of work over the recent measures', () => {
    let now = 0;
    const pace = new ApplyPace(() => now);
    expect(pace.eventsPerSecond()).toBeUndefined();
    pace.record(500, 250);
    now += 5_000;
    pace.record(100, 150);
    expect(pace.eventsPerSecond()).toBe(1_500);
  });

  it('forgets measures older than its window, so a pace nothing measures lately is unknown', () => {
    let now = 0;
    const pace = new ApplyPace(() => now);
    pace.record(500, 250);
    now += 60_000;
    expect(pace.eventsPerSecond()).toBeUndefined();
  });
});
