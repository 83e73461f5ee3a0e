import type { ProjectionStatus } from './projection-runner';

/** The contacts projection, live at position 9, as `ProjectionRunner.status` reports it. */
export const liveContactsStatus = (changes: Partial<ProjectionStatus> = {}): ProjectionStatus => ({
  name: 'contacts',
  version: 6,
  build: 'v6',
  state: 'live',
  checkpoint: 9n,
  headPosition: 9n,
  headEvents: 9n,
  lagPositions: 0n,
  lagEvents: 0n,
  lagSeconds: 0,
  failure: undefined,
  error: undefined,
  rebuild: undefined,
  ...changes,
});
