import { SqliteEventStore } from '../../../infrastructure/event-store/sqlite/sqlite-event-store';
import { systemClock } from '../../../shared/clock';
import { handleCommand, loadState } from '../../../shared/event-sourcing/handle-command';
import { contactStreamId, identityStreamId } from '../../../shared/stream-names';
import type { ContactCommand } from '../../domain/contact.commands';
import { contactDecider } from '../../domain/contact.decider';
import { mergeSourceOf } from '../../domain/contact.state';
import { IdentityReservations } from '../../identity/identity-reservations';
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

  describe("the lead's external_id", () => {
    const ids = (contactId: string) => ({ contactId, workspaceId: WORKSPACE });
    const claim = { kind: 'external_id' as const, value: 'lead-ext' };
    const reservationEvents = async () => {
      const events: Array<[string, unknown]> = [];
      for await (const event of store.readStream(
        identityStreamId(WORKSPACE, claim.kind, claim.value),
      ))
        events.push([event.type, event.data]);
      return events;
    };

    /** A lead holding `lead-ext`, closed for a user without an external_id. */
    async function closedForUser(): Promise<void> {
      const reservations = new IdentityReservations(store, systemClock);
      (await reservations.claimAll(WORKSPACE, 'lead-2', [claim])).settle();
      await execute('lead-2', {
        type: 'CreateContact',
        data: { ...ids('lead-2'), role: 'lead', attributes: { external_id: claim.value } },
        now,
      });
      await execute('user-2', {
        type: 'CreateContact',
        data: { ...ids('user-2'), attributes: { email: 'u2@x.test' } },
        now,
      });
      await execute('lead-2', {
        type: 'MergeInto',
        data: { ...ids('lead-2'), into: 'user-2' },
        now,
      });
    }

    const passedToUser = [
      ['IdentityReserved', { contactId: 'lead-2' }],
      ['IdentityReleased', { contactId: 'lead-2', reason: 'merged' }],
      ['IdentityReserved', { contactId: 'user-2' }],
    ];

    it('goes to the user with its reservation, once however often the merge completes', async () => {
      await closedForUser();
      const completion = await completeMerge(store, systemClock, WORKSPACE, 'lead-2', 'user-2');
      expect(completion).toMatchObject({ target: { external_id: claim.value } });
      await completeMerge(store, systemClock, WORKSPACE, 'lead-2', 'user-2');
      expect(await reservationEvents()).toEqual(passedToUser);
    });

    it('has its reservation moved by a completion that finds the absorption already recorded (a crash in between)', async () => {
      await closedForUser();
      const { state: lead } = await loadState(
        store,
        contactStreamId(WORKSPACE, 'lead-2'),
        contactDecider,
      );
      await execute('user-2', {
        type: 'AbsorbMergedLead',
        data: { ...ids('user-2'), source: mergeSourceOf(lead)! },
        now,
      });
      await completeMerge(store, systemClock, WORKSPACE, 'lead-2', 'user-2');
      expect(await reservationEvents()).toEqual(passedToUser);
    });
  });
});
