import { Command } from '@nestjs/cqrs';
import type { SegmentWriteResult } from '../segment-write-result';

export class DeleteSegmentCommand extends Command<SegmentWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly segmentId: string,
  ) {
    super();
  }
}
