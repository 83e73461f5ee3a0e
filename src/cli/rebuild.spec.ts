import { progressText, progressUnitOf, rebuildProgress } from './rebuild';
import type { ProjectionJson } from './service-api';

/** `contacts` on EventStoreDB: 60 events (about 1 KiB each) up to a head at byte 61,440. */
const onEventStoreDb: ProjectionJson = {
  name: 'contacts',
  build: 'v5',
  state: 'live',
  head_position: ((61_440n << 64n) | 61_440n).toString(),
  head_events: '60',
  rebuild: {
    state: 'rebuilding',
    checkpoint: ((20_480n << 64n) | 20_480n).toString(),
    lag_events: '40',
    failure: null,
  },
};

describe("the rebuild's progress bar", () => {
  it('counts the events the new build has passed, out of those in the log', () => {
    expect(progressUnitOf(onEventStoreDb)).toBe('events');
    expect(rebuildProgress('events', onEventStoreDb)).toEqual({ done: 20, total: 60 });
    // Switched: the new build has passed the whole log.
    expect(rebuildProgress('events', { ...onEventStoreDb, rebuild: null })).toEqual({
      done: 60,
      total: 60,
    });
  });

  it('counts log positions from a service that does not count events', () => {
    const { head_events: _, ...older } = onEventStoreDb;
    const embedded = {
      ...older,
      head_position: '60',
      rebuild: { ...older.rebuild!, checkpoint: '20' },
    };
    expect(progressUnitOf(embedded)).toBe('positions');
    expect(rebuildProgress('positions', embedded)).toEqual({ done: 20, total: 60 });
  });

  it('tells the time left only once it has a rate', () => {
    const progress = { done: 0, total: 60 };
    expect(progressText('events', progress, 0)).toEqual({ rate: '', time_left: '' });
    expect(progressText('events', progress, 1000)).toEqual({
      rate: ' | 0 events/s',
      time_left: '',
    });
    expect(progressText('events', { done: 20, total: 60 }, 1000)).toEqual({
      rate: ' | 20 events/s',
      time_left: ' | ETA 2s',
    });
    expect(progressText('positions', { done: 60, total: 60 }, 20)).toEqual({
      rate: ' | 3000 positions/s',
      time_left: ' | ETA 0s',
    });
  });
});
