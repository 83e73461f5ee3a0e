import type { ProjectionJson } from './service-api';
import { statusReport } from './status';

const live: ProjectionJson = {
  name: 'contacts',
  build: 'v6',
  state: 'live',
  head_position: '120',
  head_events: '120',
  lag_events: '0',
  lag_seconds: 0,
  failure: null,
  error: null,
  rebuild: null,
};

describe('the status command', () => {
  it('lists each projection with its state, build and how far it is behind, in columns', () => {
    const report = statusReport([
      live,
      {
        ...live,
        name: 'segment_membership',
        build: 'v11',
        state: 'catching_up',
        lag_events: '1204',
        lag_seconds: 2.4,
        rebuild: { state: 'rebuilding', checkpoint: '40', lag_events: '80', failure: null },
      },
    ]);
    expect(report.text.split('\n')).toEqual([
      'projection          state        build  behind                     rebuild',
      'contacts            live         v6     0 events                   -',
      'segment_membership  catching_up  v11    1,204 events (oldest 2 s)  rebuilding, 80 events to go',
    ]);
    expect(report.healthy).toBe(true);
  });

  it('says why a projection or its rebuild failed, and is then not healthy', () => {
    const report = statusReport([
      { ...live, state: 'failed', failure: { error: 'Cannot read properties of undefined' } },
      {
        ...live,
        name: 'data_events',
        rebuild: { state: 'stopped', checkpoint: '3', lag_events: '117', failure: null },
      },
      { ...live, name: 'merge_completion', state: 'stopped', error: 'No definition of v9' },
    ]);
    expect(report.text.split('\n').slice(4)).toEqual([
      'contacts failed: Cannot read properties of undefined',
      "data_events's rebuild stopped: see the service log",
      'merge_completion stopped: No definition of v9',
    ]);
    expect(report.healthy).toBe(false);
  });
});
