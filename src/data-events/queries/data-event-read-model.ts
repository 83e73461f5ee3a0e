import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type {
  DataEventsReadModel,
  DataEventsTable,
} from '../../../projections/data-events/data-events.table';
import {
  PROJECTION_RUNNER,
  type ProjectionRunner,
} from '../../projection-runner/projection-runner';
import { HttpProblem } from '../../shared/http/intercom-error';
import { isStorableText } from '../../shared/storable-text';

export interface DataEventPage {
  readonly rows: readonly DataEventsTable[];
  /** Opaque cursor of the next page; undefined on the last one. */
  readonly next: string | undefined;
}

export interface DataEventSummaryRow {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  readonly count: number;
}

/** Reads of the data events projection; rows of other workspaces are never visible. */
@Injectable()
export class DataEventReadModel {
  private readonly db: Kysely<DataEventsReadModel>;

  constructor(@Inject(PROJECTION_RUNNER) runner: ProjectionRunner) {
    this.db = runner.queryDb<DataEventsReadModel>('data_events');
  }

  /** Newest first; keyset on (created_at, event_id), so a page is stable under new inserts. */
  async list(
    workspaceId: string,
    contactId: string,
    perPage: number,
    startingAfter: string | undefined,
  ): Promise<DataEventPage> {
    let query = this.db
      .selectFrom('data_events')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', contactId);
    if (startingAfter !== undefined) {
      const [createdAt, eventId] = decodeCursor(startingAfter, contactId);
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('event_id', '<', eventId)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('event_id', 'desc')
      .limit(perPage + 1)
      .execute();
    const page = rows.slice(0, perPage);
    const last = page[page.length - 1];
    return {
      rows: page,
      next:
        rows.length > perPage && last
          ? encodeCursor(Number(last.created_at), last.event_id, contactId)
          : undefined,
    };
  }

  /** Per event name, the tracked events and the reported summaries (`POST /events/summaries`) together. */
  async summary(workspaceId: string, contactId: string): Promise<DataEventSummaryRow[]> {
    const [tracked, reported] = await Promise.all([
      this.db
        .selectFrom('data_events')
        .select((eb) => [
          'name',
          eb.fn.min('created_at').as('first'),
          eb.fn.max('created_at').as('last'),
          eb.fn.countAll().as('count'),
        ])
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', contactId)
        .groupBy('name')
        .execute(),
      this.db
        .selectFrom('data_events_summaries')
        .select((eb) => [
          'name',
          eb.fn.min('first_at').as('first'),
          eb.fn.max('last_at').as('last'),
          eb.fn.sum('count').as('count'),
        ])
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', contactId)
        .groupBy('name')
        .execute(),
    ]);
    const byName = new Map<string, DataEventSummaryRow>();
    for (const row of [...tracked, ...reported]) {
      const seen = byName.get(row.name);
      const first = Number(row.first);
      const last = Number(row.last);
      const count = Number(row.count);
      byName.set(
        row.name,
        seen === undefined
          ? { name: row.name, first, last, count }
          : {
              name: row.name,
              first: Math.min(seen.first, first),
              last: Math.max(seen.last, last),
              count: seen.count + count,
            },
      );
    }
    // By bytes, as every text order of the API, whatever the PostgreSQL database's collation.
    return [...byName.values()].sort((a, b) =>
      Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)),
    );
  }
}

/** Where a page ended, and whose events it lists (a cursor of another contact is refused). */
const encodeCursor = (createdAt: number, eventId: string, contactId: string): string =>
  Buffer.from(JSON.stringify([createdAt, eventId, contactId])).toString('base64url');

/** A cursor made before cursors named their contact has two elements, and is taken as it is. */
function decodeCursor(cursor: string, contactId: string): [number, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (
    Array.isArray(value) &&
    (value.length === 2 || (value.length === 3 && typeof value[2] === 'string')) &&
    Number.isSafeInteger(value[0]) &&
    typeof value[1] === 'string' &&
    isStorableText(value[1])
  ) {
    if (value.length === 3 && value[2] !== contactId)
      throw HttpProblem.of(
        400,
        'parameter_invalid',
        "starting_after is a cursor of another contact's events",
        'starting_after',
      );
    return [value[0] as number, value[1]];
  }
  throw HttpProblem.of(
    400,
    'parameter_invalid',
    'starting_after is not a valid cursor',
    'starting_after',
  );
}
