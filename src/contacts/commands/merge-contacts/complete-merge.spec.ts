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

  describe('a completed merge completed again', () => {
    const ids = (contactId: string) => ({ contactId, workspaceId: WORKSPACE });
    const email = { kind: 'email' as const, value: 'shared-e2@x.test' };

    /**
     * A lead merged into a user without an email while another user held the lead's: the user
     * absorbed the lead without it. That other user then gave the email up.
     */
    async function mergedWhileTheEmailWasHeld(): Promise<void> {
      const reservations = new IdentityReservations(store, systemClock);
      await execute('user-3', {
        type: 'CreateContact',
        data: { ...ids('user-3'), attributes: { external_id: 'u-e2' } },
        now,
      });
      (await reservations.claimAll(WORKSPACE, 'holder-3', [email])).settle();
      await execute('holder-3', {
        type: 'CreateContact',
        data: { ...ids('holder-3'), attributes: { email: email.value } },
        now,
      });
      await execute('lead-3', {
        type: 'CreateContact',
        data: { ...ids('lead-3'), role: 'lead', attributes: { email: email.value } },
        now,
      });
      await execute('lead-3', {
        type: 'MergeInto',
        data: { ...ids('lead-3'), into: 'user-3' },
        now,
      });
      const completion = await completeMerge(store, systemClock, WORKSPACE, 'lead-3', 'user-3');
      expect(completion).toMatchObject({ outcome: 'absorbed', target: { email: null } });
      await execute('holder-3', {
        type: 'UpdateContact',
        data: { ...ids('holder-3'), attributes: { email: 'other-e2@x.test' } },
        now,
      });
      await reservations.releaseAll(WORKSPACE, 'holder-3', [email], 'changed');
    }

    it('claims the email for a user without one once, however often the merge completes', async () => {
      await execute('user-4', {
        type: 'CreateContact',
        data: { ...ids('user-4'), attributes: { external_id: 'u-e4' } },
        now,
      });
      await execute('lead-4', {
        type: 'CreateContact',
        data: { ...ids('lead-4'), role: 'lead', attributes: { email: 'lead-4@x.test' } },
        now,
      });
      await execute('lead-4', {
        type: 'MergeInto',
        data: { ...ids('lead-4'), into: 'user-4' },
        now,
      });
      const reservation = identityStreamId(WORKSPACE, 'email', 'lead-4@x.test');
      const claimedAt = await store.headPosition();

      const completions = await Promise.all([
        completeMerge(store, systemClock, WORKSPACE, 'lead-4', 'user-4'),
        completeMerge(store, systemClock, WORKSPACE, 'lead-4', 'user-4'),
      ]);
      const completedAt = await store.headPosition();
      await completeMerge(store, systemClock, WORKSPACE, 'lead-4', 'user-4');

      expect(completions.map((completion) => completion.outcome)).toEqual(['absorbed', 'absorbed']);
      const reserved: unknown[] = [];
      for await (const event of store.readStream(reservation))
        reserved.push([event.type, event.data]);
      expect(reserved).toEqual([['IdentityReserved', { contactId: 'user-4' }]]);
      expect(completedAt - claimedAt).toBe(2n);
      expect(await store.headPosition()).toBe(completedAt);
    });

    it('appends nothing, though the email the user could not take is free now', async () => {
      await mergedWhileTheEmailWasHeld();
      const head = await store.headPosition();

      const again = await completeMerge(store, systemClock, WORKSPACE, 'lead-3', 'user-3');

      expect(again.outcome).toBe('absorbed');
      expect(await store.headPosition()).toBe(head);
      expect(
        await new IdentityReservations(store, systemClock).holderOf(WORKSPACE, email),
      ).toBeUndefined();
    });
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

    it.each([
      ['changed', 'other-ext'],
      ['dropped', null],
    ])(
      'is left alone by a replay of the merge once the user %s it: nothing is appended',
      async (_change, value) => {
        await closedForUser();
        await completeMerge(store, systemClock, WORKSPACE, 'lead-2', 'user-2');
        const reservations = new IdentityReservations(store, systemClock);
        if (value !== null)
          (
            await reservations.claimAll(WORKSPACE, 'user-2', [{ kind: 'external_id', value }])
          ).settle();
        await execute('user-2', {
          type: 'UpdateContact',
          data: { ...ids('user-2'), attributes: { external_id: value } },
          now,
        });
        await reservations.releaseAll(WORKSPACE, 'user-2', [claim], 'changed');
        const head = await store.headPosition();

        await completeMerge(store, systemClock, WORKSPACE, 'lead-2', 'user-2');

        expect(await store.headPosition()).toBe(head);
        expect(await reservations.holderOf(WORKSPACE, claim)).toBeUndefined();
      },
    );
  });
});
