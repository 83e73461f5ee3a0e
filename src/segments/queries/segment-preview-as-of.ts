import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { ContactsTable } from '../../../projections/contacts/contacts.table';
import { ContactAsOf } from '../../contacts/queries/contact-as-of';
import {
  decodeSearchCursor,
  encodeSearchCursor,
  type SearchCursor,
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
import {
  isMemberAt,
  noteDataEventBy,
  type SegmentRuleSnapshot,
} from '../domain/segment-membership';

/** Contacts folded at once, each a read of its stream. */
const CONCURRENT_FOLDS = 64;

/**
 * What an unsaved rule would have selected at a past instant (segments.md, "preview over
 * history"): every lead or user the contacts read model has (merged since included, deleted ones
 * gone with their data) that existed by then is folded as `GET /contacts/{id}?as_of` folds it,
 * and the rule is evaluated on it as membership evaluates a saved one at that instant: relative
 * dates against that instant, `has_done` against the data events dated by then (its own and
 * those of the leads merged into it by then).
 *
 * Cost: one read of the stream of every contact created by then, for each page. No read model
 * holds a contact's past values, so nothing narrows the reads down first.
 */
@Injectable()
export class SegmentPreviewAsOf {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner,
    private readonly contactsAsOf: ContactAsOf,
  ) {}

  /**
   * A page of the members at `at`, each as it was then, in search's default order (`created_at`,
   * then id); `request` brings the page size and the cursor, which continues only the preview of
   * the same rule, person type and instant.
   */
  async preview(
    workspaceId: string,
    segment: SegmentRuleSnapshot,
    at: number,
    request: ContactSearchRequest,
  ): Promise<ContactSearchPage> {
    const { query, sort, pagination } = request;
    const scope = JSON.stringify([workspaceId, `preview as_of=${at}`]);
    const cursor =
      pagination.startingAfter === undefined
        ? undefined
        : decodeSearchCursor(pagination.startingAfter, query, sort, scope);
    const members = await this.membersAt(workspaceId, segment, at);
    const rest = cursor === undefined ? members : members.filter((row) => isAfter(row, cursor));
    const page = cursor?.page ?? 1;
    const rows = rest.slice(0, pagination.perPage);
    const last = rows[rows.length - 1];
    const next =
      rest.length > rows.length && last
        ? {
            page: page + 1,
            starting_after: encodeSearchCursor(
              { page: page + 1, value: last.created_at, id: last.id },
              query,
              sort,
              scope,
            ),
          }
        : undefined;
    return {
      rows,
      total_count: members.length,
      pages: {
        type: 'pages',
        page,
        per_page: pagination.perPage,
        total_pages: totalPagesOf(page, pagination.perPage, members.length),
        ...(next ? { next } : {}),
      },
    };
  }

  private async membersAt(
    workspaceId: string,
    segment: SegmentRuleSnapshot,
    at: number,
  ): Promise<ContactsTable[]> {
    const contacts = sql.table(this.runner.tables<{ contacts: unknown }>('contacts')('contacts'));
    // A visitor then was no lead or user; one now never was (roles only move forwards).
    const { rows: candidates } = await sql<{ id: string }>`
      SELECT id FROM ${contacts}
      WHERE workspace_id = ${workspaceId} AND created_at <= ${at} AND role IN ('lead', 'user')
    `.execute(this.readStore.queryDb);
    const members: ContactsTable[] = [];
    for (let index = 0; index < candidates.length; index += CONCURRENT_FOLDS) {
      const evaluated = await Promise.all(
        candidates
          .slice(index, index + CONCURRENT_FOLDS)
          .map(({ id }) => this.memberAt(workspaceId, id, segment, at)),
      );
      for (const row of evaluated) if (row) members.push(row);
    }
    return members.sort(inSearchOrder);
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
        ? (event) => noteDataEventBy(lastDataEventAt, event, at)
        : undefined,
    );
    return then.status === 'live' && isMemberAt(then.row, segment, at, lastDataEventAt)
      ? then.row
      : undefined;
  }
}

const inSearchOrder = (a: ContactsTable, b: ContactsTable): number =>
  a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const isAfter = (row: ContactsTable, cursor: SearchCursor): boolean =>
  row.created_at > Number(cursor.value) ||
  (row.created_at === Number(cursor.value) && row.id > cursor.id);
