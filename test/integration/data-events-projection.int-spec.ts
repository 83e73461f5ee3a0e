import { sql, type Kysely } from 'kysely';
import { DataEventReadModel } from '../../src/data-events/queries/data-event-read-model';
import type { ProjectionRunner } from '../../src/projection-runner/projection-runner';
import { dataEventsProjection } from '../../projections/data-events/data-events.projection';
import type { DataEventsReadModel } from '../../projections/data-events/data-events.table';
import type { ContactEvent } from '../../src/contacts/domain/contact.events';
import type { ReadStoreDialect } from '../../src/infrastructure/read-store/read-store';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

const WORKSPACE = 'ws';
const T0 = 1_700_000_000;
let position = 0n;

function recorded(event: ContactEvent, id = `event-${position + 1n}`): RecordedEvent {
  position += 1n;
  return {
    id,
    type: event.type,
    data: { ...event.data },
    metadata: { workspaceId: WORKSPACE, occurredAt: T0 * 1000 },
    streamId: `contact-${WORKSPACE}.${event.data.contactId}`,
    revision: position,
    position,
    recordedAt: new Date(T0 * 1000),
  };
}

const tracked = (contactId: string, name: string, createdAt: number): ContactEvent => ({
  type: 'DataEventTracked',
  data: { contactId, workspaceId: WORKSPACE, name, createdAt, metadata: { plan: 'pro' } },
});

describeOnReadStores('data events projection', (dialect: ReadStoreDialect) => {
  let target: TestReadStore;
  let db: Kysely<DataEventsReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<DataEventsReadModel>;
    for (const migration of dataEventsProjection.migrations) await migration.up(db, (name) => name);
  });
  afterAll(() => target.dispose());

  const apply = (events: readonly RecordedEvent[]) =>
    db.transaction().execute((tx) => dataEventsProjection.apply(events, tx, (name) => name));

  const rowsOf = async (contactId: string) =>
    (
      await db
        .selectFrom('data_events')
        .select(['contact_id', 'source_contact_id', 'name', 'created_at', 'metadata'])
        .where('contact_id', '=', contactId)
        .orderBy('created_at')
        .orderBy('event_id')
        .execute()
    ).map((row) => ({ ...row, created_at: Number(row.created_at) }));

  it('lists tracked events per contact, moves a merged lead’s events to the user (one of the same name and second as the user’s included), forgets a deleted contact’s, and is safe to apply twice', async () => {
    const events = [
      recorded(tracked('lead-1', 'viewed', T0)),
      recorded(tracked('lead-1', 'clicked', T0 + 1)),
      recorded(tracked('user-1', 'paid', T0 + 2)),
      // Two events, one tracked on each contact: both the user's after the merge (a retry would
      // have been refused by the contact's decider, not recorded).
      recorded(tracked('lead-1', 'paid', T0 + 2)),
      recorded({
        type: 'LeadMergeAbsorbed',
        data: {
          contactId: 'user-1',
          workspaceId: WORKSPACE,
          from: 'lead-1',
          sourceRole: 'lead',
          mergedAt: T0 + 3,
          copied: {},
        },
      }),
      recorded(tracked('gone-1', 'viewed', T0)),
      recorded({
        type: 'ContactDeleted',
        data: { contactId: 'gone-1', workspaceId: WORKSPACE, deletedAt: T0 + 4 },
      }),
    ];
    await apply(events);
    await apply(events);
    const rows = await rowsOf('user-1');
    expect(rows.map((row) => [row.name, row.created_at, row.source_contact_id])).toEqual([
      ['viewed', T0, 'lead-1'],
      ['clicked', T0 + 1, 'lead-1'],
      ['paid', T0 + 2, 'user-1'],
      ['paid', T0 + 2, 'lead-1'],
    ]);
    const metadata = rows[0]!.metadata as unknown;
    expect(typeof metadata === 'string' ? JSON.parse(metadata) : metadata).toEqual({ plan: 'pro' });
    expect(await rowsOf('lead-1')).toEqual([]);
    expect(await rowsOf('gone-1')).toEqual([]);
  });

  it('adds reported summaries into the summary, moves them with a merged lead, forgets a deleted contact’s, and is safe to apply twice', async () => {
    const reported = (
      contactId: string,
      name: string,
      count: number,
      first: number,
      last: number,
    ): ContactEvent => ({
      type: 'DataEventSummaryReported',
      data: { contactId, workspaceId: WORKSPACE, name, count, first, last },
    });
    const events = [
      recorded(tracked('user-9', 'paid', T0 + 50)),
      recorded(reported('user-9', 'paid', 4, T0 + 10, T0 + 40)),
      recorded(reported('lead-9', 'paid', 2, T0 + 5, T0 + 60)),
      recorded(reported('lead-9', 'viewed', 3, T0, T0 + 1)),
      recorded({
        type: 'LeadMergeAbsorbed',
        data: {
          contactId: 'user-9',
          workspaceId: WORKSPACE,
          from: 'lead-9',
          sourceRole: 'lead',
          mergedAt: T0 + 70,
          copied: {},
        },
      }),
      recorded(reported('gone-9', 'paid', 1, T0, T0)),
      recorded({
        type: 'ContactDeleted',
        data: { contactId: 'gone-9', workspaceId: WORKSPACE, deletedAt: T0 + 80 },
      }),
    ];
    await apply(events);
    await apply(events);
    const readModel = new DataEventReadModel({ queryDb: () => db } as unknown as ProjectionRunner);
    expect(await readModel.summary(WORKSPACE, 'user-9')).toEqual([
      { name: 'paid', first: T0 + 5, last: T0 + 60, count: 7 },
      { name: 'viewed', first: T0, last: T0 + 1, count: 3 },
    ]);
    expect(await readModel.summary(WORKSPACE, 'lead-9')).toEqual([]);
    expect(await readModel.summary(WORKSPACE, 'gone-9')).toEqual([]);
  });

  it('summarizes by event name in byte order, whatever collation the database defaults to', async () => {
    // A PostgreSQL database created with a language's collation (en_US, as stock images are)
    // orders "bought" before "Clicked"; bytewise, capitals come first.
    const collate = (collation: string) =>
      sql`ALTER TABLE data_events ALTER COLUMN name TYPE text COLLATE ${sql.ref(collation)}`.execute(
        db,
      );
    if (dialect === 'postgres') await collate('en-US-x-icu');
    try {
      const names = ['bought', 'Clicked', 'clicked', '_x', 'Zeta', 'éclair'];
      await apply(names.map((name) => recorded(tracked('summarized-1', name, T0))));
      const readModel = new DataEventReadModel({
        queryDb: () => db,
      } as unknown as ProjectionRunner);
      const summary = await readModel.summary(WORKSPACE, 'summarized-1');
      const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
      expect(summary.map((row) => row.name)).toEqual([...names].sort(bytewise));
    } finally {
      if (dialect === 'postgres') await collate('default');
    }
  });
});
