import type { AnyProjection } from '../src/projection-runner/projection';
import type { Clock } from '../src/shared/clock';
import type { EventStore } from '../src/shared/event-store/event-store.port';
import { contactsProjection } from './contacts/contacts.projection';
import { dataEventsProjection } from './data-events/data-events.projection';
import { lifecycleProjection } from './lifecycle/lifecycle.projection';
import { mergeCompletionProcess } from './merge-completion/merge-completion.process';
import type { DeadlineAlarm } from './segment-membership/deadline-alarm';
import { segmentMembershipProjection } from './segment-membership/segment-membership.projection';

/** What process managers among the projections need to issue commands. */
export interface ProjectionDependencies {
  readonly eventStore: EventStore;
  readonly clock: Clock;
  /** Tells the segment deadline scheduler about new deadlines (absent: nothing listens). */
  readonly deadlineAlarm?: DeadlineAlarm;
}

/** Every projection the service runs: read models and the process managers driven by the log. */
export function allProjections(dependencies: ProjectionDependencies): readonly AnyProjection[] {
  return [
    contactsProjection,
    dataEventsProjection,
    lifecycleProjection,
    mergeCompletionProcess(dependencies),
    segmentMembershipProjection(dependencies),
  ];
}

/**
 * The read models alone, which write nothing but their tables: what a replay of the log builds
 * (the process managers' commands are in the log it replays already). `streams` are what the
 * membership reads of a contact's past when a late event re-dates its changes.
 */
export function readModelProjections(
  streams: Pick<EventStore, 'readStream'>,
): readonly AnyProjection[] {
  return [
    contactsProjection,
    dataEventsProjection,
    lifecycleProjection,
    segmentMembershipProjection({ eventStore: streams }),
  ];
}
