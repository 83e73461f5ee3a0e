import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { ContactAsOf } from '../../contacts/queries/contact-as-of';
import {
  decodeSearchCursor,
  encodeSearchCursor,
} from '../../contacts/search/contact-search.cursor';
import type { ContactSearchRequest } from '../../contacts/search/contact-search.query';
import type { ContactSearchPage } from '../../contacts/search/search-contacts';
import type { ReadStore } from '../../infrastructure/read-store/read-store';
import { READ_STORE } from '../../infrastructure/read-store/read-store.module';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { totalPagesOf } from '../../shared/http/total-pages';
import { toContactEvent } from '../../contacts/contact-event-codec';
import { contactDecider } from '../../contacts/domain/contact.decider';
import { EVENT_STORE, type EventStore } from '../../shared/event-store/event-store.port';
import { contactStreamId } from '../../shared/stream-names';
import {
  isMemberAt,
  noteDataEventBy,
  type SegmentRuleSnapshot,
} from '../domain/segment-membership';
import { membershipChangesOver, type WhatIfChange } from '../domain/what-if-history';
import { FoldedContactPast, type PastEvent } from './folded-contact-past';

/** Contacts folded at once, each a read of its stream. */
const CONCURRENT_FOLDS = 64;

/**
 * What an unsaved rule would have selected at a past instant, or changed over a past stretch
 * (segments.md, "preview over history"): every lead or user the contacts read model has (merged
 * since included, deleted ones gone with their data) that existed by then is folded as
 * `GET /contacts/{id}?as_of` folds it, and the rule is evaluated on it as membership evaluates a
 * saved one at that instant: relative dates against that instant, `has_done` against the data
 * events dated by then (its own and those of the leads merged into it by then).
 *
 * Cost: one read of the stream of every contact created by then, for each page. No read model
 * holds a contact's past values, so nothing narrows the reads down first.
 */
@Injectable()
export class SegmentWhatIf {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly contactsAsOf: ContactAsOf,
  ) {}

  /**
   * A page of the members at `at`, each as it was then, in the request's order of `created_at`,
   * then id (search's default: newest first); `request` brings the page size and the cursor, which continues only the preview of
   * the same rule, person type and instant.
   */
  async membersAt(
    workspaceId: string,
    segment: SegmentRuleSnapshot,
    at: number,
    request: ContactSearchRequest,
  ): Promise<ContactSearchPage> {
    const members = await this.allMembersAt(workspaceId, segment, at);
    const { items, total_count, pages } = pageOf(
      members,
      (row) => ({ value: row.created_at, id: row.id }),
      request,
      request.sort.order,
      JSON.stringify([workspaceId, `preview as_of=${at}`]),
    );
    return { rows: items, total_count, pages };
  }

  /**
   * A page of the entries and exits the rule would have made over `(from, to]`, ordered by time,
   * then contact id (a contact enters or exits at most once a second); the cursor continues only
   * the same rule, person type and stretch. Each contact's past is folded from its stream (see
   * `membershipChangesOver`); those deleted since are left out.
   */
  async changesOver(
    workspaceId: string,
    segment: SegmentRuleSnapshot,
    stretch: { readonly from: number; readonly to: number },
    request: ContactSearchRequest,
  ): Promise<WhatIfChangesPage> {
    const perContact = await this.forEachLeadOrUserBy(workspaceId, stretch.to, async (id) => {
      const past = await this.pastOf(workspaceId, id);
      const changes = past ? membershipChangesOver(past, segment, stretch.from, stretch.to) : [];
      return changes.map((change) => ({ ...change, contactId: id }));
    });
    const { items, total_count, pages } = pageOf(
      perContact.flat(),
      (change) => ({ value: change.effectiveAt, id: change.contactId }),
      request,
      'ascending',
      JSON.stringify([workspaceId, `preview from=${stretch.from} to=${stretch.to}`]),
    );
    return { changes: items, total_count, pages };
  }

  /** The contact's past, and the events of the leads merged into it; none once erased. */
  private async pastOf(
    workspaceId: string,
    contactId: string,
  ): Promise<FoldedContactPast | undefined> {
    const events = await this.pastEvents(workspaceId, contactId);
    const now = events.reduce(
      (state, past) => contactDecider.evolve(state, past.event),
      contactDecider.initialState(),
    );
    if (await this.contactsAsOf.erasedSince(workspaceId, now)) return undefined;
    const sources = new Map<string, readonly PastEvent[]>();
    if (now.status === 'lead' || now.status === 'user')
      for (const merge of now.merge_history)
        sources.set(
          merge.source_contact_id,
          await this.pastEvents(workspaceId, merge.source_contact_id),
        );
    return new FoldedContactPast(events, sources);
  }

  private async pastEvents(workspaceId: string, contactId: string): Promise<PastEvent[]> {
    const events: PastEvent[] = [];
    for await (const recorded of this.store.readStream(contactStreamId(workspaceId, contactId)))
      events.push({
        id: recorded.id,
        event: toContactEvent(recorded),
        occurredAt: recorded.metadata.occurredAt,
        revision: Number(recorded.revision),
      });
    return events;
  }

  private async allMembersAt(
    workspaceId: string,
    segment: SegmentRuleSnapshot,
    at: number,
  ): Promise<ContactsTable[]> {
    const members = await this.forEachLeadOrUserBy(workspaceId, at, (id) =>
      this.memberAt(workspaceId, id, segment, at),
    );
    return members.flatMap((row) => (row ? [row] : []));
  }

  /**
   * `evaluate` of every lead or user the contacts read model has (merged since included) that
   * was created by `at`, a few at once.
   */
  private async forEachLeadOrUserBy<T>(
    workspaceId: string,
    at: number,
    evaluate: (contactId: string) => Promise<T>,
  ): Promise<T[]> {
    const contacts = sql.table(this.runner.tables<{ contacts: unknown }>('contacts')('contacts'));
    // A visitor then was no lead or user; one now never was (roles only move forwards).
    const { rows: candidates } = await sql<{ id: string }>`
      SELECT id FROM ${contacts}
      WHERE workspace_id = ${workspaceId} AND created_at <= ${at} AND role IN ('lead', 'user')
    `.execute(this.readStore.queryDb);
    const results: T[] = [];
    for (let index = 0; index < candidates.length; index += CONCURRENT_FOLDS) {
      const chunk = candidates.slice(index, index + CONCURRENT_FOLDS);
      results.push(...(await Promise.all(chunk.map(({ id }) => evaluate(id)))));
      // The embedded store reads synchronously: without a turn of the event loop between
      // chunks, one workspace's preview would hold every other request (health included).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return results;
  }

  /** The contact as it was at `at`, when the rule selected it then. */
  private async memberAt(
    workspaceId: string,
    contactId: string,
    segment: SegmentRuleSnapshot,
    at: number,
  ): Promise<ContactsTable | undefined> {
    const lastDataEventAt = new Map<string, number>();
    const then = await this.contactsAsOf.contactThen(
      workspaceId,
      contactId,
      at,
      segment.dataEventFilters.length > 0
        ? (event, occurredAt) =>
            noteDataEventBy(lastDataEventAt, event, Math.floor(occurredAt / 1000), at)
        : undefined,
    );
    return then.status === 'live' && isMemberAt(then.row, segment, at, lastDataEventAt)
      ? then.row
      : undefined;
  }
}

/** A page of a what-if's changes, each naming its contact. */
export interface WhatIfChangesPage {
  readonly changes: readonly (WhatIfChange & { readonly contactId: string })[];
  readonly total_count: number;
  readonly pages: ContactSearchPage['pages'];
}

/** Where an item stands in a what-if's answer: a time, then an id. */
interface PlaceInOrder {
  readonly value: number;
  readonly id: string;
}

const inOrder = (a: PlaceInOrder, b: PlaceInOrder): number =>
  a.value - b.value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The page of `items` (in the order `placeOf` gives, that way round) that the request's cursor
 * opens, with the count of them all; a cursor continues only a listing of the same query, sort
 * and `scope`.
 */
function pageOf<T>(
  items: readonly T[],
  placeOf: (item: T) => PlaceInOrder,
  { query, sort, pagination }: ContactSearchRequest,
  order: 'ascending' | 'descending',
  scope: string,
): { items: T[]; total_count: number; pages: ContactSearchPage['pages'] } {
  const cursor =
    pagination.startingAfter === undefined
      ? undefined
      : decodeSearchCursor(pagination.startingAfter, query, sort, scope);
  const sign = order === 'ascending' ? 1 : -1;
  const compare = (a: PlaceInOrder, b: PlaceInOrder) => sign * inOrder(a, b);
  const ordered = [...items].sort((a, b) => compare(placeOf(a), placeOf(b)));
  const after = cursor && { value: Number(cursor.value), id: cursor.id };
  const rest = after ? ordered.filter((item) => compare(placeOf(item), after) > 0) : ordered;
  const page = cursor?.page ?? 1;
  const shown = rest.slice(0, pagination.perPage);
  const last = shown[shown.length - 1];
  const next =
    rest.length > shown.length && last !== undefined
      ? {
          page: page + 1,
          starting_after: encodeSearchCursor(
            { page: page + 1, ...placeOf(last) },
            query,
            sort,
            scope,
          ),
        }
      : undefined;
  return {
    items: shown,
    total_count: items.length,
    pages: {
      type: 'pages',
      page,
      per_page: pagination.perPage,
      total_pages: totalPagesOf(page, pagination.perPage, items.length),
      ...(next ? { next } : {}),
    },
  };
}
