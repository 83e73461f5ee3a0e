import { Inject, Injectable } from '@nestjs/common';
import type { RecordedEvent } from '../../shared/event-store/event-store.port';
import {
  EVENT_STORE,
  MAX_LOG_POSITION,
  type EventStore,
} from '../../shared/event-store/event-store.port';
import { HttpProblem } from '../../shared/http/intercom-error';
import { contactStreamId } from '../../shared/stream-names';
import { toContactEvent } from '../contact-event-codec';
import { summariesByEventTime } from '../domain/contact-event-summary';
import { onlyReaffirms, type ContactEvent } from '../domain/contact.events';
import { totalPagesOf } from '../../shared/http/total-pages';

export interface TimelineEntry {
  readonly type: 'timeline_event';
  readonly id: string;
  readonly event_type: ContactEvent['type'];
  /** The contact whose stream holds it: the timeline's, or one merged into it. */
  readonly contact_id: string;
  /** Event time, unix seconds. */
  readonly occurred_at: number;
  /** When the log stored it, unix seconds. */
  readonly recorded_at: number;
  readonly position: string;
  readonly cause: { readonly actor?: string; readonly causation_id?: string };
  readonly summary: string;
}

export interface TimelinePage {
  readonly entries: readonly TimelineEntry[];
  readonly totalCount: number;
  /** Which page of `perPage` events this is, counted from the first event. */
  readonly page: number;
  readonly totalPages: number;
  /** Cursor of the next page; undefined on the last one. */
  readonly next: string | undefined;
}

/** Merges are one link deep (only users absorb, and users are never merged); a guard all the same. */
const MAX_MERGED_STREAMS = 1_000;

/**
 * history.md's timeline: every event of a contact and of the contacts merged into it, by event
 * time in whole seconds, as it is shown (log position breaking ties: within a second, the order
 * things were recorded in, whether a time came with milliseconds or not), paged by a cursor on that order, so a page stays put while
 * events are added after it. Read from the streams, so it is as current as the last commit.
 */
@Injectable()
export class ContactTimeline {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async page(
    workspaceId: string,
    contactId: string,
    options: { readonly perPage: number; readonly startingAfter?: string },
  ): Promise<TimelinePage> {
    const after =
      options.startingAfter === undefined
        ? undefined
        : decodeCursor(contactId, options.startingAfter);
    const events = toldByEventTime(
      (await this.eventsOf(workspaceId, contactId)).sort(byTimeThenPosition),
    );
    const start = after === undefined ? 0 : firstAfter(events, after);
    const page = events.slice(start, start + options.perPage);
    const last = page[page.length - 1];
    const pageNumber = Math.floor(start / options.perPage) + 1;
    return {
      entries: page.map(toEntry),
      totalCount: events.length,
      page: pageNumber,
      totalPages: totalPagesOf(pageNumber, options.perPage, events.length),
      next:
        last !== undefined && start + page.length < events.length
          ? encodeCursor(contactId, last)
          : undefined,
    };
  }

  /** The contact's stream and, following its absorptions, those of the contacts merged into it. */
  private async eventsOf(workspaceId: string, contactId: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const pending = [contactId];
    const read = new Set<string>();
    while (pending.length > 0 && read.size < MAX_MERGED_STREAMS) {
      const id = pending.pop()!;
      if (read.has(id)) continue;
      read.add(id);
      const stream: RecordedEvent[] = [];
      for await (const event of this.store.readStream(contactStreamId(workspaceId, id))) {
        if (isOnlyReaffirmation(event)) continue;
        stream.push(event);
        if (event.type === 'LeadMergeAbsorbed') pending.push((event.data as { from: string }).from);
      }
      events.push(...stream);
    }
    return events;
  }
}

/** A write that only repeated values the contact held changed nothing the timeline shows. */
const isOnlyReaffirmation = (recorded: RecordedEvent): boolean => {
  const event = toContactEvent(recorded);
  return event.type === 'ContactUpdated' && onlyReaffirms(event.data);
};

type Ordered = Pick<RecordedEvent, 'position'> & {
  readonly metadata: { readonly occurredAt: number };
};

/** Index of the first event past the cursor's, or the end. */
function firstAfter(events: readonly Ordered[], cursor: Ordered): number {
  const index = events.findIndex((event) => byTimeThenPosition(event, cursor) > 0);
  return index === -1 ? events.length : index;
}

const seconds = (event: Ordered): number => Math.floor(event.metadata.occurredAt / 1000);

const byTimeThenPosition = (a: Ordered, b: Ordered): number =>
  seconds(a) - seconds(b) || (a.position < b.position ? -1 : a.position > b.position ? 1 : 0);

/**
 * The events, in the order shown, with their lines as the contacts' roles by event time tell
 * them (see `summariesByEventTime`): a visitor becomes a lead once, at the first conversation,
 * reply or supplied email it had, one reported late included, and only while it was a visitor.
 */
function toldByEventTime(events: readonly RecordedEvent[]): Told[] {
  const summaries = summariesByEventTime(events.map(toContactEvent));
  return events.flatMap((recorded, index) => {
    const summary = summaries[index];
    return summary === undefined ? [] : [{ ...recorded, summary }];
  });
}

type Told = RecordedEvent & { readonly summary: string };

function toEntry(told: Told): TimelineEntry {
  const { summary, ...recorded } = told;
  const event = toContactEvent(recorded);
  const { actor, causationId } = recorded.metadata;
  return {
    type: 'timeline_event',
    id: recorded.id,
    event_type: event.type,
    contact_id: event.data.contactId,
    occurred_at: Math.floor(recorded.metadata.occurredAt / 1000),
    recorded_at: Math.floor(recorded.recordedAt.getTime() / 1000),
    position: recorded.position.toString(),
    cause: {
      ...(typeof actor === 'string' ? { actor } : {}),
      ...(typeof causationId === 'string' ? { causation_id: causationId } : {}),
    },
    summary,
  };
}

/** A point in one contact's timeline: the list's id, then the order's (event time, position). */
const encodeCursor = (contactId: string, event: Ordered): string =>
  Buffer.from(`${contactId}.${event.metadata.occurredAt}.${event.position}`).toString('base64url');

function decodeCursor(contactId: string, cursor: string): Ordered {
  const text = Buffer.from(cursor, 'base64url').toString();
  // A position of the log, as EventStoreDB's are up to 128 bits (`MAX_LOG_POSITION`).
  const match = /^([^.]+)\.(\d{1,16})\.(\d{1,39})$/.exec(text);
  // Decoding skips what is not base64url: only the cursor's own text is taken.
  const exact = Buffer.from(text).toString('base64url') === cursor;
  if (!match || !exact || match[1] !== contactId || BigInt(match[3]!) > MAX_LOG_POSITION) {
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      'starting_after is not a cursor of this list',
      'starting_after',
    );
  }
  return { metadata: { occurredAt: Number(match[2]) }, position: BigInt(match[3]!) };
}
