import { SqliteEventStore } from '../../../infrastructure/event-store/sqlite/sqlite-event-store';
import { systemClock } from '../../../shared/clock';
import { handleCommand } from '../../../shared/event-sourcing/handle-command';
import { contactStreamId } from '../../../shared/stream-names';
import type { ContactCommand } from '../../domain/contact.commands';
import { contactDecider } from '../../domain/contact.decider';
import { completeMerge } from './complete-merge';

const WORKSPACE = 'ws';
const now = Math.floor(Date.now() / 1000);

describe('completeMerge', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = SqliteEventStore.open();
  });
  afterEach(() => store.close());

  const execute = (contactId: string, command: ContactCommand) =>
    handleCommand(store, contactStreamId(WORKSPACE, contactId), contactDecider, command, {
      metadata: { workspaceId: WORKSPACE, occurredAt: Date.now(), schemaVersion: 1 },
    });

  it('answers a position at or past the absorption when a concurrent run wrote it first', async () => {
    const ids = (contactId: string) => ({ contactId, workspaceId: WORKSPACE });
    await execute('lead-1', {
      type: 'CreateContact',
      data: { ...ids('lead-1'), role: 'lead', attributes: { name: 'Lead', email: 'l@x.test' } },
      now,
    });
    await execute('user-1', {
      type: 'CreateContact',
      data: { ...ids('user-1'), attributes: { external_id: 'u-1' } },
      now,
    });
    await execute('lead-1', { type: 'MergeInto', data: { ...ids('lead-1'), into: 'user-1' }, now });

    // The process manager's run absorbs the lead; the HTTP call's run then records nothing.
    const absorbedAt = (await completeMerge(store, systemClock, WORKSPACE, 'lead-1', 'user-1'))
      .position;
    expect(absorbedAt).toBeDefined();
    const again = (await completeMerge(store, systemClock, WORKSPACE, 'lead-1', 'user-1')).position;
    expect(again).toBeDefined();
    expect(again! >= absorbedAt!).toBe(true);
    const types: string[] = [];
    for await (const event of store.readStream(contactStreamId(WORKSPACE, 'user-1')))
      types.push(event.type);
    expect(types.filter((type) => type === 'LeadMergeAbsorbed')).toHaveLength(1);
  });
});
