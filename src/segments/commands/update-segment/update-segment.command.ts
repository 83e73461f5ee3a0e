import { Command } from '@nestjs/cqrs';
import type { SegmentWriteResult } from '../segment-write-result';

/** Rename and/or change the rule or person type; what is left out stays as it is. */
export class UpdateSegmentCommand extends Command<SegmentWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly segmentId: string,
    readonly changes: {
      readonly name?: unknown;
      readonly personType?: unknown;
      readonly rule?: unknown;
    },
  ) {
    super();
  }
}
