import { Inject } from '@nestjs/common';
import { type IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { sql, type Kysely } from 'kysely';
import { LIFECYCLE_PROJECTION } from '../../../../projections/lifecycle/lifecycle.projection';
import type {
  LifecycleContactsTable,
  LifecycleReadModel,
} from '../../../../projections/lifecycle/lifecycle.table';
import { ReadYourWrites } from '../../../projection-runner/projection-runner.module';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../../projection-runner/projection-runner';
import type { FunnelInterval } from '../../lifecycle-intervals';
import { LifecycleFunnelQuery } from './lifecycle-funnel.query';
import type { LifecycleFunnelResponse } from './lifecycle-funnel.response';

type Became = keyof Pick<LifecycleContactsTable, 'visitor_at' | 'lead_at' | 'user_at'>;
type Converted = keyof Pick<LifecycleContactsTable, 'from_visitor' | 'from_lead'>;

interface IntervalCounts {
  readonly created: number;
  readonly converted: number;
}

/**
 * The lifecycle funnel of a workspace: per interval, the contacts that became visitors, leads and
 * users then, and how many of those converted. Counted in SQL, an index range per interval and
 * role, so an answer reads only the contacts of its range.
 */
@QueryHandler(LifecycleFunnelQuery)
export class LifecycleFunnelHandler implements IQueryHandler<LifecycleFunnelQuery> {
  private readonly db: Kysely<LifecycleReadModel>;

  constructor(
    private readonly readYourWrites: ReadYourWrites,
    @Inject(PROJECTION_RUNNER) runner: ProjectionRunner,
  ) {
    this.db = runner.queryDb<LifecycleReadModel>(LIFECYCLE_PROJECTION);
  }

  async execute(query: LifecycleFunnelQuery): Promise<LifecycleFunnelResponse> {
    await this.readYourWrites.waitForMinPosition(query.minPosition, [LIFECYCLE_PROJECTION]);
    const { workspaceId, intervals } = query;
    const none = new Map<number, IntervalCounts>();
    const [visitors, leads, users] =
      intervals.length === 0
        ? [none, none, none]
        : await Promise.all([
            this.countBy(workspaceId, intervals, 'visitor_at', undefined),
            this.countBy(workspaceId, intervals, 'lead_at', 'from_visitor'),
            this.countBy(workspaceId, intervals, 'user_at', 'from_lead'),
          ]);
    return {
      type: 'lifecycle.funnel',
      interval: query.interval,
      time_zone: query.timeZone,
      from: query.from,
      to: query.to,
      data: intervals.map(({ start, end }, n) => ({
        type: 'lifecycle.interval',
        start,
        end,
        visitors: visitors.get(n)?.created ?? 0,
        leads: leads.get(n)?.created ?? 0,
        users: users.get(n)?.created ?? 0,
        conversions: {
          visitor_to_lead: leads.get(n)?.converted ?? 0,
          lead_to_user: users.get(n)?.converted ?? 0,
        },
      })),
    };
  }

  /** The workspace's contacts that became `became` in each interval (by its index), and how many converted. */
  private async countBy(
    workspaceId: string,
    intervals: readonly FunnelInterval[],
    became: Became,
    converted: Converted | undefined,
  ): Promise<Map<number, IntervalCounts>> {
    const at = sql.ref(`c.${became}`);
    // Typed casts: PostgreSQL would take untyped parameters in VALUES as text.
    const { rows } = await sql<{ n: number; created: number | string; converted: number | string }>`
      WITH funnel_intervals (n, starts, ends) AS (VALUES ${sql.join(
        intervals.map(
          ({ start, end }, n) =>
            sql`(CAST(${n} AS integer), CAST(${start} AS bigint), CAST(${end} AS bigint))`,
        ),
      )})
      SELECT i.n AS n, COUNT(*) AS created,
        ${converted === undefined ? sql`0` : sql`SUM(${sql.ref(`c.${converted}`)})`} AS converted
      FROM funnel_intervals i
      JOIN ${sql.table('lifecycle_contacts')} c
        ON c.workspace_id = ${workspaceId} AND ${at} >= i.starts AND ${at} < i.ends
      GROUP BY i.n`.execute(this.db);
    return new Map(
      rows.map((row) => [
        Number(row.n),
        { created: Number(row.created), converted: Number(row.converted) },
      ]),
    );
  }
}
