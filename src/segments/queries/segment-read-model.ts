import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type SqlBool } from 'kysely';
import { SEGMENT_MEMBERSHIP_PROJECTION } from '../../../projections/segment-membership/segment-membership.projection';
import {
  isSegmentId,
  listHas,
  segmentMembershipSql,
} from '../../../projections/segment-membership/segment-membership.sql';
import { dataEventsSql } from '../../../projections/segment-membership/contact-data-events';
import {
  changeToken,
  historyEntries,
  parseMemberList,
  type SegmentDefinitionsTable,
  type SegmentHistoryEntry,
  type SegmentMembershipReadModel,
  type SegmentSpansTable,
} from '../../../projections/segment-membership/segment-membership.tables';
import type { DataEventSql, SegmentMembershipSql } from '../../contacts/search/contact-search.sql';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { SegmentNotFound } from '../domain/segment.errors';

/** Where a history page starts: after this row in (position, seq, contact, change) order. */
export interface HistoryCursor {
  readonly position: string;
  readonly seq: number;
  readonly contactId: string;
  readonly change: string;
  /** The page this cursor opens (pages count from 1). */
  readonly page: number;
}

/** Whether a changes row (its columns prefixed with `prefix`) enters or exits the segment. */
const changesOfSegment = (prefix: string, segmentId: string) =>
  sql<SqlBool>`(${listHas(sql.ref(`${prefix}entered`), changeToken(segmentId))} OR ${listHas(sql.ref(`${prefix}exited`), changeToken(segmentId))})`;

/** Spans of a segment's history read at a time (see `SegmentSpansTable`). */
const SPANS_PER_READ = 100;

/** The stretch of the log a `SegmentSpansTable` row covers. */
type HistorySpan = Pick<SegmentSpansTable, 'first_position' | 'last_position'>;

/** Whether a changes row lies within a span. */
const withinSpan = (span: HistorySpan) =>
  sql<SqlBool>`(position >= ${span.first_position} AND position <= ${span.last_position})`;

/** Reads of the segment membership projection. Rows of other workspaces are never visible. */
@Injectable()
export class SegmentReadModel {
  private readonly db: Kysely<SegmentMembershipReadModel>;

  constructor(@Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner) {
    this.db = runner.queryDb<SegmentMembershipReadModel>(SEGMENT_MEMBERSHIP_PROJECTION);
  }

  listSegments(workspaceId: string): Promise<SegmentDefinitionsTable[]> {
    return this.db
      .selectFrom('segment_membership_segments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at')
      .orderBy('segment_id')
      .execute();
  }

  async getSegmentOrThrow(
    workspaceId: string,
    segmentId: string,
  ): Promise<SegmentDefinitionsTable> {
    const row = await this.db
      .selectFrom('segment_membership_segments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('segment_id', '=', segmentId)
      .executeTakeFirst();
    if (!row) throw new SegmentNotFound(segmentId);
    return row;
  }

  async segmentsOfContact(
    workspaceId: string,
    contactId: string,
  ): Promise<SegmentDefinitionsTable[]> {
    const contact = await this.db
      .selectFrom('segment_membership_contact_segments')
      .select('segment_ids')
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', contactId)
      .executeTakeFirst();
    const segmentIds = contact ? parseMemberList(contact.segment_ids) : [];
    if (segmentIds.length === 0) return [];
    return this.db
      .selectFrom('segment_membership_segments')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('segment_id', 'in', segmentIds)
      .orderBy('created_at')
      .orderBy('segment_id')
      .execute();
  }

  /**
   * Entries and exits of a segment (optionally of one contact), oldest first: after the cursor, or
   * past the first `skip` of them (a numbered page without a cursor).
   */
  async history(
    workspaceId: string,
    segmentId: string,
    options: {
      readonly contactId?: string;
      readonly after?: HistoryCursor;
      readonly skip?: number;
      readonly limit: number;
    },
  ): Promise<SegmentHistoryEntry[]> {
    if (!isSegmentId(segmentId)) return [];
    const { contactId, after, limit } = options;
    let skip = options.skip ?? 0;
    if (contactId !== undefined) {
      return this.historyRows(workspaceId, segmentId, { contactId, after, skip, limit });
    }
    // The segment's spans in log order, each read for the page's rest until the page is full; a
    // span wholly before the page is only counted.
    const entries: SegmentHistoryEntry[] = [];
    let spansAfter: string | undefined;
    for (;;) {
      let spans = this.db
        .selectFrom('segment_membership_spans')
        .select(['first_position', 'last_position'])
        .where('workspace_id', '=', workspaceId)
        .where('segment_id', '=', segmentId)
        .orderBy('first_position')
        .limit(SPANS_PER_READ);
      if (after) spans = spans.where('last_position', '>=', after.position);
      if (spansAfter !== undefined) spans = spans.where('first_position', '>', spansAfter);
      const page = await spans.execute();
      for (const span of page) {
        if (skip > 0) {
          const inSpan = await this.spanCount(workspaceId, segmentId, span);
          if (inSpan <= skip) {
            skip -= inSpan;
            continue;
          }
        }
        entries.push(
          ...(await this.historyRows(workspaceId, segmentId, {
            span,
            after,
            skip,
            limit: limit - entries.length,
          })),
        );
        skip = 0;
        if (entries.length >= limit) return entries;
      }
      if (page.length < SPANS_PER_READ) return entries;
      spansAfter = page[page.length - 1]!.first_position;
    }
  }

  /** A segment's entries and exits of one contact, or within one span, after the cursor. */
  private async historyRows(
    workspaceId: string,
    segmentId: string,
    options: {
      readonly contactId?: string;
      readonly span?: HistorySpan;
      readonly after: HistoryCursor | undefined;
      readonly skip: number;
      readonly limit: number;
    },
  ): Promise<SegmentHistoryEntry[]> {
    // A changes row holds at most one change of a segment: rows and entries page alike.
    let query = this.changesOf(workspaceId, segmentId, options.contactId).selectAll();
    const { span, after, skip } = options;
    if (span) query = query.where(withinSpan(span));
    if (after) {
      query = query.where(
        sql<SqlBool>`(position, seq, contact_id) > (${after.position}, ${after.seq}, ${after.contactId})`,
      );
    }
    const rows = await query
      .orderBy('position')
      .orderBy('seq')
      .orderBy('contact_id')
      .limit(options.limit)
      .$if(skip > 0, (rows) => rows.offset(skip))
      .execute();
    return rows.flatMap((row) => historyEntries(row, segmentId));
  }

  /** How many entries and exits of a segment one span holds. */
  private async spanCount(
    workspaceId: string,
    segmentId: string,
    span: HistorySpan,
  ): Promise<number> {
    const { n } = await this.changesOf(workspaceId, segmentId, undefined)
      .where(withinSpan(span))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** How many entries and exits `history` lists in all (over its pages). */
  async historyCount(
    workspaceId: string,
    segmentId: string,
    contactId: string | undefined,
  ): Promise<number> {
    if (!isSegmentId(segmentId)) return 0;
    if (contactId === undefined) {
      const segment = await this.db
        .selectFrom('segment_membership_segments')
        .select('history_count')
        .where('workspace_id', '=', workspaceId)
        .where('segment_id', '=', segmentId)
        .executeTakeFirst();
      // A deleted segment's row is gone with its count: its history is counted.
      if (segment) return Number(segment.history_count);
    }
    const { n } = await this.changesOf(workspaceId, segmentId, contactId)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  /** The changes rows that hold an entry or exit of the segment (of one contact, when given). */
  private changesOf(workspaceId: string, segmentId: string, contactId: string | undefined) {
    let query = this.db
      .selectFrom('segment_membership_changes')
      .where('workspace_id', '=', workspaceId)
      .where(changesOfSegment('', segmentId));
    if (contactId !== undefined) query = query.where('contact_id', '=', contactId);
    return query;
  }

  /** `has_done` filters over the membership projection's own record of data events. */
  dataEventsSql(): DataEventSql {
    return dataEventsSql(this.table('segment_membership_data_events'));
  }

  /** `segment_id` filters over the current members. */
  membershipSql(): SegmentMembershipSql {
    return segmentMembershipSql(this.table('segment_membership_contact_segments'));
  }

  /**
   * `segment_id` filters over the members at `at` (unix seconds), from the history: a contact is
   * a member when its last change at or before `at` is an entry.
   */
  membershipAsOfSql(at: number): SegmentMembershipSql {
    const changes = sql.table(this.table('segment_membership_changes'));
    return (segmentIds, { contactId, workspaceId }) => {
      const named = segmentIds.filter(isSegmentId);
      if (named.length === 0) return sql<SqlBool>`1 = 0`;
      const memberOf = (segmentId: string) => {
        return sql<SqlBool>`EXISTS (SELECT 1 FROM ${changes} h WHERE h.workspace_id = ${workspaceId}
          AND h.contact_id = ${contactId} AND h.effective_at <= ${at}
          AND ${listHas(sql.ref('h.entered'), changeToken(segmentId))}
          AND NOT EXISTS (SELECT 1 FROM ${changes} later WHERE later.workspace_id = h.workspace_id
            AND later.contact_id = h.contact_id AND later.effective_at <= ${at}
            AND (later.position, later.seq) > (h.position, h.seq)
            AND ${changesOfSegment('later.', segmentId)}))`;
      };
      return sql<SqlBool>`(${sql.join(named.map(memberOf), sql` OR `)})`;
    };
  }

  private table(logical: keyof SegmentMembershipReadModel): string {
    return this.runner.tables<SegmentMembershipReadModel>(SEGMENT_MEMBERSHIP_PROJECTION)(logical);
  }
}
