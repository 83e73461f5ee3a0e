import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type SqlBool } from 'kysely';
import { SEGMENT_MEMBERSHIP_PROJECTION } from '../../../projections/segment-membership/segment-membership.projection';
import { segmentMembershipSql } from '../../../projections/segment-membership/segment-membership.sql';
import { dataEventsSql } from '../../../projections/segment-membership/contact-data-events';
import type {
  SegmentDefinitionsTable,
  SegmentHistoryTable,
  SegmentMembershipReadModel,
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

  segmentsOfContact(workspaceId: string, contactId: string): Promise<SegmentDefinitionsTable[]> {
    return this.db
      .selectFrom('segment_membership_members as m')
      .innerJoin('segment_membership_segments as s', (join) =>
        join
          .onRef('s.workspace_id', '=', 'm.workspace_id')
          .onRef('s.segment_id', '=', 'm.segment_id'),
      )
      .selectAll('s')
      .where('m.workspace_id', '=', workspaceId)
      .where('m.contact_id', '=', contactId)
      .orderBy('s.created_at')
      .orderBy('s.segment_id')
      .execute();
  }

  /** Entries and exits of a segment (optionally of one contact), oldest first. */
  history(
    workspaceId: string,
    segmentId: string,
    options: {
      readonly contactId?: string;
      readonly after?: HistoryCursor;
      readonly limit: number;
    },
  ): Promise<SegmentHistoryTable[]> {
    let query = this.db
      .selectFrom('segment_membership_history')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('segment_id', '=', segmentId);
    if (options.contactId !== undefined) query = query.where('contact_id', '=', options.contactId);
    const after = options.after;
    if (after) {
      query = query.where(
        sql<SqlBool>`(position, seq, contact_id, change) > (${after.position}, ${after.seq}, ${after.contactId}, ${after.change})`,
      );
    }
    return query
      .orderBy('position')
      .orderBy('seq')
      .orderBy('contact_id')
      .orderBy('change')
      .limit(options.limit)
      .execute();
  }

  /** How many entries and exits `history` lists in all (over its pages). */
  async historyCount(
    workspaceId: string,
    segmentId: string,
    contactId: string | undefined,
  ): Promise<number> {
    let query = this.db
      .selectFrom('segment_membership_history')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('segment_id', '=', segmentId);
    if (contactId !== undefined) query = query.where('contact_id', '=', contactId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  /** `has_done` filters over the membership projection's own record of data events. */
  dataEventsSql(): DataEventSql {
    return dataEventsSql(this.table('segment_membership_data_events'));
  }

  /** `segment_id` filters over the current members. */
  membershipSql(): SegmentMembershipSql {
    return segmentMembershipSql(this.table('segment_membership_members'));
  }

  /**
   * `segment_id` filters over the members at `at` (unix seconds), from the history: a contact is
   * a member when its last change at or before `at` is an entry.
   */
  membershipAsOfSql(at: number): SegmentMembershipSql {
    const history = sql.table(this.table('segment_membership_history'));
    return (segmentIds, { contactId, workspaceId }) =>
      sql<SqlBool>`EXISTS (SELECT 1 FROM ${history} h WHERE h.workspace_id = ${workspaceId}
        AND h.segment_id IN (${sql.join(segmentIds)}) AND h.contact_id = ${contactId}
        AND h.effective_at <= ${at} AND h.change = 'entered'
        AND NOT EXISTS (SELECT 1 FROM ${history} later WHERE later.workspace_id = h.workspace_id
          AND later.segment_id = h.segment_id AND later.contact_id = h.contact_id
          AND later.effective_at <= ${at} AND (later.position, later.seq) > (h.position, h.seq)))`;
  }

  private table(logical: keyof SegmentMembershipReadModel): string {
    return this.runner.tables<SegmentMembershipReadModel>(SEGMENT_MEMBERSHIP_PROJECTION)(logical);
  }
}
