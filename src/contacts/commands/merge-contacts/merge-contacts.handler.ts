import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { FaultInjection } from '../../../config/fault-injection';
import { CLOCK, type Clock } from '../../../shared/clock';
import { EVENT_STORE, type EventStore } from '../../../shared/event-store/event-store.port';
import { ContactStreamWriter } from '../../contact-stream-writer';
import { absorbMergedLead } from '../../domain/contact.decide';
import { ContactNotFound, InvalidMerge } from '../../domain/contact.errors';
import { mergeSourceOf } from '../../domain/contact.state';
import type { ContactWriteResult } from '../contact-write-result';
import { completeMerge } from './complete-merge';
import { MergeContactsCommand } from './merge-contacts.command';

/**
 * Merge without a multi-stream transaction: check that the target could absorb the source,
 * close the source (`ContactMergedInto`), then let the target absorb it. If the process dies in
 * between, the merge-completion process manager finishes it from the event log.
 */
@CommandHandler(MergeContactsCommand)
export class MergeContactsHandler implements ICommandHandler<
  MergeContactsCommand,
  ContactWriteResult
> {
  constructor(
    private readonly writer: ContactStreamWriter,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly faults: FaultInjection,
  ) {}

  async execute({
    workspaceId,
    from,
    into,
    duplicatesOnly,
    mergedAt,
  }: MergeContactsCommand): Promise<ContactWriteResult> {
    if (from === into) throw new InvalidMerge('A contact cannot be merged into itself');
    const [source, target] = await Promise.all([
      this.writer.load(workspaceId, from),
      this.writer.load(workspaceId, into),
    ]);
    // Named by the body's field: the merge has no `id`.
    if (source.status === 'none' || source.status === 'deleted') {
      throw new ContactNotFound(from, 'from');
    }
    if (target.status === 'none' || target.status === 'deleted') {
      throw new ContactNotFound(into, 'into');
    }
    const snapshot = mergeSourceOf(source);
    if (snapshot && source.status !== 'merged') {
      // Refuse before closing the source when the target could not absorb it.
      absorbMergedLead(
        {
          type: 'AbsorbMergedLead',
          data: { contactId: into, workspaceId, source: snapshot, duplicatesOnly },
          now: this.writer.nowSeconds(),
        },
        target,
      );
    }
    await this.writer.execute(workspaceId, from, {
      type: 'MergeInto',
      data: { contactId: from, workspaceId, into },
      now: mergedAt ?? this.writer.nowSeconds(),
    });
    this.faults.at('merge.after_source_closed');
    const position = await completeMerge(this.store, this.clock, workspaceId, from);
    return { contactId: into, position };
  }
}
