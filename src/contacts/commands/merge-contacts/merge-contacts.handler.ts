import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { FaultInjection } from '../../../config/fault-injection';
import { CLOCK, type Clock } from '../../../shared/clock';
import {
  EVENT_STORE,
  lastEventOf,
  type EventStore,
} from '../../../shared/event-store/event-store.port';
import { ContactStreamWriter } from '../../contact-stream-writer';
import { absorbMergedLead } from '../../domain/contact.decide';
import { ContactNotFound, InvalidMerge } from '../../domain/contact.errors';
import {
  isLive,
  mergeSourceOf,
  type ContactState,
  type LiveContact,
} from '../../domain/contact.state';
import { contactDecider } from '../../domain/contact.decider';
import { toContactEvent } from '../../contact-event-codec';
import { contactStreamId } from '../../../shared/stream-names';
import type { ContactWriteResult } from '../contact-write-result';
import { completeMerge, reopenedAfterRefusedMerge } from './complete-merge';
import { MergeContactsCommand } from './merge-contacts.command';
import { MergeRefusedTargetDeleted } from './merge-refused';

/**
 * Merge without a multi-stream transaction: check that the target could absorb the source,
 * close the source (`ContactMergedInto`), then let the target absorb it. If the process dies in
 * between, the merge-completion process manager finishes it from the event log. A deletion of the
 * target racing the merge ends as if one had come first: a target deleted before absorbing the
 * source refuses the merge and the source is reopened; one deleted after took the source along.
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

  /** The target as the absorption of `from` left it, from its stream (its row is gone). */
  private async absorbedBy(workspaceId: string, into: string, from: string): Promise<LiveContact> {
    let state = contactDecider.initialState();
    for await (const recorded of this.store.readStream(contactStreamId(workspaceId, into))) {
      const event = toContactEvent(recorded);
      state = contactDecider.evolve(state, event);
      if (event.type === 'LeadMergeAbsorbed' && event.data.from === from) break;
    }
    if (!isLive(state)) throw new ContactNotFound(into, 'into');
    return state;
  }

  /**
   * The source, a merge that closed it for a user deleted since settled first (see
   * `reopenedAfterRefusedMerge`): open again when that merge was refused; gone with the user, not
   * found, when it absorbed the source first (unless that user is this merge's target, refused
   * as deleted).
   */
  private async settled(
    workspaceId: string,
    source: ContactState,
    into: string,
    target: ContactState,
  ): Promise<ContactState> {
    if (source.status !== 'merged') return source;
    const closedFor =
      source.into === into ? target : await this.writer.load(workspaceId, source.into);
    if (isLive(closedFor)) return source;
    if (await reopenedAfterRefusedMerge(this.store, this.clock, workspaceId, source.id, closedFor))
      return this.writer.load(workspaceId, source.id);
    if (source.into !== into) throw new ContactNotFound(source.id, 'from');
    return source;
  }

  async execute({
    workspaceId,
    from,
    into,
    options: {
      duplicatesOnly = false,
      mergedAt,
      cause,
      fromVisitorOnly = false,
      keepExternalId = false,
    },
  }: MergeContactsCommand): Promise<ContactWriteResult> {
    if (from === into) throw new InvalidMerge('A contact cannot be merged into itself', 'target');
    const [found, target] = await Promise.all([
      this.writer.load(workspaceId, from),
      this.writer.load(workspaceId, into),
    ]);
    const source = await this.settled(workspaceId, found, into, target);
    if (fromVisitorOnly && source.status !== 'visitor') throw new ContactNotFound(from);
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
    // A late log-in may date the merge before either contact existed: it happened once both did.
    // The absorption takes the closing event's time and cause (`completeMerge`).
    const at = Math.max(
      mergedAt ?? this.writer.nowSeconds(),
      isLive(source) ? source.created_at : 0,
      isLive(target) ? target.created_at : 0,
    );
    await this.writer.execute(
      workspaceId,
      from,
      {
        type: 'MergeInto',
        data: {
          contactId: from,
          workspaceId,
          into,
          ...(fromVisitorOnly ? { visitorsOnly: true } : {}),
          ...(keepExternalId ? { keepExternalId: true } : {}),
        },
        now: at,
      },
      { occurredAt: at * 1000, cause },
    );
    this.faults.at('merge.after_source_closed');
    const completion = await completeMerge(this.store, this.clock, workspaceId, from, into);
    switch (completion.outcome) {
      case 'absorbed':
        return {
          contactId: into,
          position: completion.position,
          ...(completion.target ? { contact: completion.target } : {}),
        };
      case 'absorbed_then_deleted':
        // The merge came first and the deletion after: it answers the user its merge made.
        return {
          contactId: into,
          position: completion.position,
          contact: await this.absorbedBy(workspaceId, into, from),
        };
      case 'reverted':
        // Deleted before it absorbed the source: as if the deletion had come first, the merge is
        // refused and the source, reopened (by this run or a concurrent one), is as it was.
        throw new MergeRefusedTargetDeleted(
          into,
          completion.position ??
            (await lastEventOf(this.store, contactStreamId(workspaceId, from)))?.position,
        );
    }
  }
}
