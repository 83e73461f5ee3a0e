import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../../shared/clock';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { handleSegmentCommand } from '../../segment.command-handling';
import type { SegmentWriteResult } from '../segment-write-result';
import { DeleteSegmentCommand } from './delete-segment.command';

@CommandHandler(DeleteSegmentCommand)
export class DeleteSegmentHandler implements ICommandHandler<DeleteSegmentCommand> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ workspaceId, segmentId }: DeleteSegmentCommand): Promise<SegmentWriteResult> {
    const outcome = await handleSegmentCommand(
      this.store,
      this.clock,
      workspaceId,
      segmentId,
      (now) => ({
        type: 'DeleteSegment',
        data: { segmentId, workspaceId },
        now,
      }),
    );
    return { segmentId, position: outcome.position };
  }
}
