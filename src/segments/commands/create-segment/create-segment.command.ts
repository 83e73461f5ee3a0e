import { Command } from '@nestjs/cqrs';
import type { SegmentWriteResult } from '../segment-write-result';

export class CreateSegmentCommand extends Command<SegmentWriteResult> {
  constructor(
    readonly workspaceId: string,
    readonly name: unknown,
    readonly personType: unknown,
    readonly rule: unknown,
  ) {
    super();
  }
}
