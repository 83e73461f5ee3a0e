import { ContactNotFound } from '../../domain/contact.errors';

/**
 * The merge's target was deleted before it absorbed the source, which the merge had closed: the
 * merge is refused as if the deletion had come first, and the source is open again from `position`
 * on, which a caller answering the refusal waits for, as for any write.
 */
export class MergeRefusedTargetDeleted extends ContactNotFound {
  constructor(
    into: string,
    readonly position: bigint | undefined,
  ) {
    super(into, 'into');
  }
}
