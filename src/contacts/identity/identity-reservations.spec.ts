import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../infrastructure/event-store/sqlite/sqlite-event-store';
import { ManualClock } from '../../shared/clock';
import { handleCommand } from '../../shared/event-sourcing/handle-command';
import type { EventStore } from '../../shared/event-store/event-store.port';
import { contactStreamId, identityStreamId } from '../../shared/stream-names';
import { contactDecider } from '../domain/contact.decider';
import type { ContactCommand } from '../domain/contact.commands';
import { ContactAlreadyExists } from '../domain/contact.errors';
import { mergeSourceOf, type MergeSource } from '../domain/contact.state';
import { IdentityReservations } from './identity-reservations';

describe('IdentityReservations', () => {
  const claim = { kind: 'external_id' as const, value: 'ext-1' };
  let store: SqliteEventStore;
  let clock: ManualClock;
  let reservations: IdentityReservations;

  beforeEach(() => {
    store = SqliteEventStore.open({ file: ':memory:' });
    clock = new ManualClock(Date.now());
    reservations = new IdentityReservations(store, clock);
  });
  afterEach(() => store.close());

  /** The reservation a process killed between its two appends left: no contact got the value. */
  const leftByAnotherProcess = (on: EventStore, contactId: string) =>
    on.append(
      identityStreamId('w', claim.kind, claim.value),
      [
        {
          id: randomUUID(),
          type: 'IdentityReserved',
          data: { contactId },
          metadata: { workspaceId: 'w', occurredAt: clock.now() },
        },
      ],
      { expectedRevision: 'no_stream' },
    );

  const liveContact = async (contactId: string, externalId: string) => {
    await handleCommand(
      store,
      contactStreamId('w', contactId),
      contactDecider,
      {
        type: 'CreateContact',
        data: { contactId, workspaceId: 'w', attributes: { external_id: externalId } },
        now: Math.floor(clock.now() / 1000),
      },
      { metadata: { workspaceId: 'w', occurredAt: clock.now() } },
    );
  };

  describe("a merged lead's claim", () => {
    const now = () => Math.floor(clock.now() / 1000);
    const run = (contactId: string, command: ContactCommand) =>
      handleCommand(store, contactStreamId('w', contactId), contactDecider, command, {
        metadata: { workspaceId: 'w', occurredAt: clock.now() },
      });

    /** The lead holding `claim`, closed for `user` (whose external_id is `own`), not absorbed. */
    const closedForUser = async (user: string, own?: string) => {
      (await reservations.claimAll('w', 'lead', [claim])).settle();
      await run('lead', {
        type: 'CreateContact',
        data: { contactId: 'lead', workspaceId: 'w', role: 'lead', attributes: { ...claimed } },
        now: now(),
      });
      await run(user, {
        type: 'CreateContact',
        data: {
          contactId: user,
          workspaceId: 'w',
          attributes: own ? { external_id: own } : { email: 'u@x.test' },
        },
        now: now(),
      });
      const { state } = await run('lead', {
        type: 'MergeInto',
        data: { contactId: 'lead', workspaceId: 'w', into: user },
        now: now(),
      });
      return mergeSourceOf(state)!;
    };
    const claimed = { external_id: claim.value };
    const absorb = (user: string, source: MergeSource) =>
      run(user, {
        type: 'AbsorbMergedLead',
        data: { contactId: user, workspaceId: 'w', source },
        now: now(),
      });

    it("is no one else's to take while its user has not absorbed it yet", async () => {
      await closedForUser('user');
      await expect(reservations.claimAll('w', 'other', [claim])).rejects.toBeInstanceOf(
        ContactAlreadyExists,
      );
      expect(await reservations.holderOf('w', claim)).toBe('lead');
    });

    it('passes to the user that absorbed its external_id, and to no one else', async () => {
      await absorb('user', await closedForUser('user'));
      await expect(reservations.claimAll('w', 'other', [claim])).rejects.toMatchObject({
        contactId: 'user',
      });
      (await reservations.claimAll('w', 'user', [claim])).settle();
      expect(await reservations.holderOf('w', claim)).toBe('user');
    });

    it('is free once a user with an external_id of its own absorbed the lead', async () => {
      await absorb('user', await closedForUser('user', 'own-ext'));
      (await reservations.claimAll('w', 'other', [claim])).settle();
      expect(await reservations.holderOf('w', claim)).toBe('other');
    });

    it('stays with the lead when its user was deleted before absorbing it: the merge is undone', async () => {
      await closedForUser('user');
      await run('user', {
        type: 'DeleteContact',
        data: { contactId: 'user', workspaceId: 'w' },
        now: now(),
      });
      await expect(reservations.claimAll('w', 'other', [claim])).rejects.toBeInstanceOf(
        ContactAlreadyExists,
      );
    });

    it('is free once the user that absorbed it is deleted', async () => {
      await absorb('user', await closedForUser('user'));
      await run('user', {
        type: 'DeleteContact',
        data: { contactId: 'user', workspaceId: 'w' },
        now: now(),
      });
      (await reservations.claimAll('w', 'other', [claim])).settle();
      expect(await reservations.holderOf('w', claim)).toBe('other');
    });
  });

  it("a live contact's claim whose update has not landed yet is never taken over, however old", async () => {
    await liveContact('updating', 'ext-0');
    const update = await reservations.claimAll('w', 'updating', [claim]);
    clock.advance(10 * 60_000);
    await expect(reservations.claimAll('w', 'other', [claim])).rejects.toBeInstanceOf(
      ContactAlreadyExists,
    );
    update.settle();
    await reservations.claimAll('w', 'other', [claim]);
    expect(await reservations.holderOf('w', claim)).toBe('other');
  });

  it('a claim whose write settled without giving its contact the value is taken over at once', async () => {
    (await reservations.claimAll('w', 'ghost', [claim])).settle();
    await reservations.claimAll('w', 'other', [claim]);
    expect(await reservations.holderOf('w', claim)).toBe('other');
  });

  it('a claim a previous process left in a store only this one writes is taken over at once', async () => {
    await leftByAnotherProcess(store, 'ghost');
    await reservations.claimAll('w', 'other', [claim]);
    expect(await reservations.holderOf('w', claim)).toBe('other');
  });

  it('the contact a previous process claimed for may claim again', async () => {
    await leftByAnotherProcess(store, 'ghost');
    await reservations.claimAll('w', 'ghost', [claim]);
    expect(await reservations.holderOf('w', claim)).toBe('ghost');
  });

  it('a value held by another refuses the claims of a contact with none of them appended', async () => {
    const email = { kind: 'email' as const, value: 'held@x.test' };
    (await reservations.claimAll('w', 'holder', [email])).settle();
    await handleCommand(
      store,
      contactStreamId('w', 'holder'),
      contactDecider,
      {
        type: 'CreateContact',
        data: { contactId: 'holder', workspaceId: 'w', attributes: { email: email.value } },
        now: Math.floor(clock.now() / 1000),
      },
      { metadata: { workspaceId: 'w', occurredAt: clock.now() } },
    );
    const head = await store.headPosition();
    await expect(reservations.claimAll('w', 'other', [claim, email])).rejects.toMatchObject({
      contactId: 'holder',
      field: 'email',
    });
    expect(await store.headPosition()).toBe(head);
    expect(await reservations.holderOf('w', claim)).toBeUndefined();
  });

  it("in a store other processes share, another's claim is taken over once older than the grace period", async () => {
    const shared: EventStore = Object.assign(Object.create(store) as EventStore, {
      exclusiveToThisProcess: false,
    });
    const onShared = new IdentityReservations(shared, clock);
    await leftByAnotherProcess(shared, 'ghost');
    await expect(onShared.claimAll('w', 'other', [claim])).rejects.toBeInstanceOf(
      ContactAlreadyExists,
    );
    clock.advance(31_000);
    await onShared.claimAll('w', 'other', [claim]);
    expect(await onShared.holderOf('w', claim)).toBe('other');
  });
});
