import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { liveRow } from '../../../projections/contacts/contacts.projection';
import type { UnixSeconds } from '../../contacts/domain/contact.attributes';
import { contactDecider } from '../../contacts/domain/contact.decider';
import type { ContactEvent } from '../../contacts/domain/contact.events';
import type { ContactState } from '../../contacts/domain/contact.state';
import type { LastDataEventAt } from '../domain/segment-membership';
import { noteDataEventBy } from '../domain/segment-membership';
import type { ContactPast, PastInstant } from '../domain/what-if-history';

/** One event of a contact's stream, as its past is folded from. */
export interface PastEvent {
  readonly id: string;
  readonly event: ContactEvent;
  /** Event time, unix milliseconds. */
  readonly occurredAt: number;
  readonly revision: number;
}

/**
 * A contact's past folded from its stream as `GET /contacts/{id}?as_of` folds it: at an instant,
 * the events dated up to the end of that second, in the stream's order. Asked at instants that
 * never go back, it folds on from where it was while the stream is in time order; a stream with
 * an event reported late is folded again from its start for each instant.
 */
export class FoldedContactPast implements ContactPast {
  readonly instants: readonly PastInstant[];
  private readonly inTimeOrder: boolean;
  private folded = 0;
  private state: ContactState = contactDecider.initialState();
  private revision = -1;
  private foldedTo = Number.NEGATIVE_INFINITY;
  private row: { readonly at: UnixSeconds; readonly row: ContactsTable | undefined } | undefined;

  /**
   * @param sources the events of the leads merged into the contact (by the end of its stream),
   *   by id: their data events count for it from its merge on.
   */
  constructor(
    private readonly events: readonly PastEvent[],
    private readonly sources: ReadonlyMap<string, readonly PastEvent[]>,
  ) {
    this.inTimeOrder = events.every(
      (past, index) => index === 0 || events[index - 1]!.occurredAt <= past.occurredAt,
    );
    // A merged lead's events change the contact only by the data events it takes over.
    this.instants = [
      ...events.flatMap((past) => [instantOf(past, secondOf(past))]),
      ...[...events, ...[...sources.values()].flat()].flatMap(dataEventDates),
    ].sort((a, b) => a.at - b.at);
  }

  rowAt(at: UnixSeconds): ContactsTable | undefined {
    if (this.row?.at !== at) {
      const { state, revision } = this.foldTo(at);
      const live = state.status === 'lead' || state.status === 'user';
      this.row = { at, row: live ? liveRow(state, revision) : undefined };
    }
    return this.row.row;
  }

  lastDataEventAt(at: UnixSeconds): LastDataEventAt {
    const latest = new Map<string, UnixSeconds>();
    for (const past of this.events) noteDataEventBy(latest, past.event, secondOf(past), at);
    const { state } = this.foldTo(at);
    if (state.status === 'lead' || state.status === 'user')
      for (const merge of state.merge_history)
        for (const past of this.sources.get(merge.source_contact_id) ?? [])
          noteDataEventBy(latest, past.event, secondOf(past), at);
    return latest;
  }

  private foldTo(at: UnixSeconds): { state: ContactState; revision: number } {
    const until = (at + 1) * 1000;
    if (!this.inTimeOrder || until < this.foldedTo) {
      let state = contactDecider.initialState();
      let revision = -1;
      for (const past of this.events)
        if (past.occurredAt < until) {
          state = contactDecider.evolve(state, past.event);
          revision = past.revision;
        }
      return { state, revision };
    }
    for (; this.folded < this.events.length; this.folded += 1) {
      const past = this.events[this.folded]!;
      if (past.occurredAt >= until) break;
      this.state = contactDecider.evolve(this.state, past.event);
      this.revision = past.revision;
    }
    this.foldedTo = until;
    return { state: this.state, revision: this.revision };
  }
}

const instantOf = ({ id, event }: PastEvent, at: UnixSeconds): PastInstant => ({
  at,
  eventId: id,
  eventType: event.type,
});

/** Its event time in whole seconds: when its log event is dated, never after it was recorded. */
const secondOf = (past: PastEvent): UnixSeconds => Math.floor(past.occurredAt / 1000);

/**
 * The dates of a data event, at which `has_done` may change: each no later than the second its
 * log event is dated (one dated ahead counts from its recording, `noteDataEventBy`).
 */
function dataEventDates(past: PastEvent): PastInstant[] {
  const { event } = past;
  const recorded = secondOf(past);
  if (event.type === 'DataEventTracked')
    return [instantOf(past, Math.min(event.data.createdAt, recorded))];
  if (event.type === 'DataEventSummaryReported')
    return [
      instantOf(past, Math.min(event.data.first, recorded)),
      instantOf(past, Math.min(event.data.last, recorded)),
    ];
  return [];
}
