import type { Kysely } from 'kysely';
import {
  ContactDataEvents,
  createDataEventsTable,
} from '../../projections/segment-membership/contact-data-events';
import type { SegmentMembershipReadModel } from '../../projections/segment-membership/segment-membership.tables';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
} from '../support/read-store-targets';

const keyOf = (workspaceId: string, contactId: string): string => `${workspaceId}/${contactId}`;

describeOnReadStores('membership’s record of data events', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<SegmentMembershipReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<SegmentMembershipReadModel>;
    await createDataEventsTable(db, (logical) => logical);
  });
  afterAll(() => target.dispose());

  /** One batch: loads the contacts, tracks `events` (name, created_at), writes. */
  const batch = async (contactIds: string[], events: Array<[string, string, number]>) => {
    const record = new ContactDataEvents(db, keyOf, 'segment_membership_data_events');
    await record.load('ws', contactIds);
    for (const [contactId, name, at] of events) record.track('ws', contactId, name, at);
    await record.flush();
    return record;
  };

  it('keeps the latest time per contact and name, whatever batch an earlier event comes in', async () => {
    await batch(
      ['c1', 'c2'],
      [
        ['c1', 'signed', 200],
        ['c1', 'paid', 50],
        ['c2', 'signed', 10],
      ],
    );
    await batch(
      ['c1', 'c2'],
      [
        ['c1', 'signed', 100],
        ['c1', 'paid', 60],
        ['c2', 'signed', 10],
      ],
    );
    const loaded = await batch(['c1', 'c2', 'c3'], []);
    expect(Object.fromEntries(loaded.of('ws', 'c1') ?? [])).toEqual({ signed: 200, paid: 60 });
    expect(Object.fromEntries(loaded.of('ws', 'c2') ?? [])).toEqual({ signed: 10 });
    expect(Object.fromEntries(loaded.of('ws', 'c3') ?? [])).toEqual({});
  });
});
