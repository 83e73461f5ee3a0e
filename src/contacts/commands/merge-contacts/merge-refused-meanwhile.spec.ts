import type { FaultInjection } from '../../../config/fault-injection';
import { SqliteEventStore } from '../../../infrastructure/event-store/sqlite/sqlite-event-store';
import { systemClock } from '../../../shared/clock';
import { handleCommand, loadState } from '../../../shared/event-sourcing/handle-command';
import { contactStreamId } from '../../../shared/stream-names';
import { ContactStreamWriter } from '../../contact-stream-writer';
import type { ContactCommand } from '../../domain/contact.commands';
import { contactDecider } from '../../domain/contact.decider';
import { ContactNotFound } from '../../domain/contact.errors';
import { mergeSourceOf } from '../../domain/contact.state';
import { MergeContactsCommand } from './merge-contacts.command';
import { MergeContactsHandler } from './merge-contacts.handler';

const WORKSPACE = 'ws';
const now = Math.floor(Date.now() / 1000);
const cause = { actor: 'test' };
const ids = (contactId: string) => ({ contactId, workspaceId: WORKSPACE });

/**
 * A merge refused because its user was deleted meanwhile, met between the lead's closing and its
 * reopening (a merge's second step not run yet): a write naming the lead ends as the same write
 * sent just after the refusal.
 */
describe('a lead closed for a user deleted before absorbing it', () => {
  let store: SqliteEventStore;
  let writer: ContactStreamWriter;
  let merges: MergeContactsHandler;
  beforeEach(() => {
    store = SqliteEventStore.open();
    writer = new ContactStreamWriter(store, systemClock);
    const noFaults = { at: () => undefined } as unknown as FaultInjection;
    merges = new MergeContactsHandler(writer, store, systemClock, noFaults);
  });
  afterEach(() => store.close());

  const run = (contactId: string, command: ContactCommand) =>
    handleCommand(store, contactStreamId(WORKSPACE, contactId), contactDecider, command, {
      metadata: { workspaceId: WORKSPACE, occurredAt: Date.now(), schemaVersion: 1 },
    });
  const typesOf = async (contactId: string) => {
    const types: string[] = [];
    for await (const event of store.readStream(contactStreamId(WORKSPACE, contactId)))
      types.push(event.type);
    return types;
  };

  /** Lead `lead` closed for user `user`, which is then deleted (absorbing it first if asked). */
  async function closedForDeletedUser(options: { absorbedFirst?: boolean } = {}): Promise<void> {
    await run('lead', {
      type: 'CreateContact',
      data: { ...ids('lead'), role: 'lead', attributes: { name: 'Ada' } },
      now,
    });
    for (const user of ['user', 'other-user'])
      await run(user, {
        type: 'CreateContact',
        data: { ...ids(user), attributes: { external_id: `ext-${user}` } },
        now,
      });
    await run('lead', { type: 'MergeInto', data: { ...ids('lead'), into: 'user' }, now });
    if (options.absorbedFirst) {
      const { state } = await loadState(store, contactStreamId(WORKSPACE, 'lead'), contactDecider);
      await run('user', {
        type: 'AbsorbMergedLead',
        data: { ...ids('user'), source: mergeSourceOf(state)! },
        now,
      });
    }
    await run('user', { type: 'DeleteContact', data: ids('user'), now });
  }

  const update = () =>
    writer.execute(
      WORKSPACE,
      'lead',
      { type: 'UpdateContact', data: { ...ids('lead'), attributes: { name: 'x' } }, now },
      { cause },
    );

  it('takes an update on the lead, reopened once', async () => {
    await closedForDeletedUser();

    const outcome = await update();

    expect(outcome.state).toMatchObject({ status: 'lead', name: 'x' });
    expect(await typesOf('lead')).toEqual([
      'LeadCreated',
      'ContactMergedInto',
      'ContactMergeReverted',
      'ContactUpdated',
    ]);
  });

  it.each<[string, ContactCommand]>([
    [
      'a data event',
      { type: 'TrackEvent', data: { ...ids('lead'), name: 'e', createdAt: now }, now },
    ],
    ['a conversation', { type: 'StartConversation', data: ids('lead'), now }],
  ])('records %s on the reopened lead', async (_what, command) => {
    await closedForDeletedUser();

    await writer.execute(WORKSPACE, 'lead', command, { cause });

    expect((await typesOf('lead')).slice(2, 3)).toEqual(['ContactMergeReverted']);
    expect((await writer.loadLeadOrUser(WORKSPACE, 'lead')).status).toBe('lead');
  });

  it('answers the reopened lead to a read through the Contacts API', async () => {
    await closedForDeletedUser();

    expect(await writer.loadLeadOrUser(WORKSPACE, 'lead')).toMatchObject({
      status: 'lead',
      name: 'Ada',
    });
  });

  it('merges the reopened lead into another user', async () => {
    await closedForDeletedUser();

    const merged = await merges.execute(
      new MergeContactsCommand(WORKSPACE, 'lead', 'other-user', { cause }),
    );

    expect(merged).toMatchObject({ contactId: 'other-user', contact: { name: 'Ada' } });
    expect(await typesOf('lead')).toEqual([
      'LeadCreated',
      'ContactMergedInto',
      'ContactMergeReverted',
      'ContactMergedInto',
    ]);
  });

  it('still finds a lead the user absorbed before its deletion gone with it', async () => {
    await closedForDeletedUser({ absorbedFirst: true });

    await expect(update()).rejects.toBeInstanceOf(ContactNotFound);
    await expect(
      merges.execute(new MergeContactsCommand(WORKSPACE, 'lead', 'other-user', { cause })),
    ).rejects.toBeInstanceOf(ContactNotFound);
    expect(await typesOf('lead')).toEqual(['LeadCreated', 'ContactMergedInto']);
  });
});
