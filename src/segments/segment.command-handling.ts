import type { Clock } from '../shared/clock';
import { handleCommand, type CommandOutcome } from '../shared/event-sourcing/handle-command';
import type { EventStore } from '../shared/event-store/event-store.port';
import { segmentStreamId } from '../shared/stream-names';
import type { SegmentCommand } from './domain/segment.commands';
import { segmentDecider } from './domain/segment.decider';
import type { SegmentEvent } from './domain/segment.events';
import type { SegmentState } from './domain/segment.state';

/** Runs a command against one segment's stream, at the clock's time. */
export const handleSegmentCommand = (
  store: EventStore,
  clock: Clock,
  workspaceId: string,
  segmentId: string,
  command: (now: number) => SegmentCommand,
): Promise<CommandOutcome<SegmentEvent, SegmentState>> => {
  const occurredAt = clock.now();
  return handleCommand<SegmentCommand, SegmentEvent, SegmentState>(
    store,
    segmentStreamId(workspaceId, segmentId),
    segmentDecider,
    command(Math.floor(occurredAt / 1000)),
    { metadata: { workspaceId, occurredAt } },
  );
};
