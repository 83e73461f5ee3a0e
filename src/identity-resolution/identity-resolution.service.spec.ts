import type { CommandBus } from '@nestjs/cqrs';
import type { ContactCommand } from '../contacts/domain/contact.commands';
import { contactDecider } from '../contacts/domain/contact.decider';
import { IdentityReservations } from '../contacts/identity/identity-reservations';
import { SqliteEventStore } from '../infrastructure/event-store/sqlite/sqlite-event-store';
import { systemClock } from '../shared/clock';
import { handleCommand } from '../shared/event-sourcing/handle-command';
import { contactStreamId } from '../shared/stream-names';
import { ContactLocator } from './contact-locator';
import { IdentityResolution, type IdentifyKind } from './identity-resolution.service';

const workspaceId = 'ws';
const now = 1_700_000_000;
const metadata = { workspaceId, occurredAt: now * 1000, schemaVersion: 1 };
const heldEmail = { kind: 'email' as const, value: 'held@example.com' };

describe('IdentityResolution: a visitor or lead keeping its email as a user', () => {
  let store: SqliteEventStore;
  let reservations: IdentityReservations;
  let locator: ContactLocator;
  let resolution: IdentityResolution;
  beforeEach(() => {
    store = SqliteEventStore.open({ file: ':memory:' });
    reservations = new IdentityReservations(store, systemClock);
    locator = new ContactLocator(store, systemClock);
    // No merge happens in these cases: the identity given is held by nobody.
    const noMerges = {
      execute: () => Promise.reject(new Error('no merge expected')),
    } as unknown as CommandBus;
    resolution = new IdentityResolution(store, reservations, locator, noMerges);
  });
  afterEach(() => store.close());

  const execute = (contactId: string, command: ContactCommand) =>
    handleCommand(store, contactStreamId(workspaceId, contactId), contactDecider, command, {
      metadata,
    });

  /** A user created as the Contacts API creates one: its email claimed first. */
  async function userHolding(contactId: string, email: string): Promise<void> {
    (
      await reservations.claimAll(workspaceId, contactId, [{ kind: 'email', value: email }])
    ).settle();
    await execute(contactId, {
      type: 'CreateContact',
      data: { contactId, workspaceId, attributes: { email } },
      now,
    });
  }

  async function leadWithEmail(contactId: string, email: string): Promise<void> {
    await execute(contactId, {
      type: 'CreateContact',
      data: { contactId, workspaceId, role: 'lead', attributes: { email } },
      now,
    });
  }

  async function identify(contactId: string, kind: IdentifyKind, externalId: string) {
    return resolution.identify({
      workspaceId,
      session: await locator.locate(workspaceId, contactId),
      identity: { external_id: externalId },
      kind,
      occurredAt: now + 10,
      now: now + 10,
      metadata,
    });
  }

  const stateOf = async (contactId: string) => (await locator.locate(workspaceId, contactId)).state;

  it.each<IdentifyKind>(['sign_up', 'log_in'])(
    'makes a lead whose email another user holds the user its %s names, without the email',
    async (kind) => {
      await userHolding('user-u', 'Held@example.com');
      await leadWithEmail('lead-1', 'held@EXAMPLE.com');

      const outcome = await identify('lead-1', kind, 'lx-new');

      expect(outcome).toMatchObject({ contactId: 'lead-1', mergedFrom: undefined });
      expect(outcome.events[0]).toMatchObject({
        type: 'LeadSignedUp',
        data: { identity: { external_id: 'lx-new' }, dropsEmail: true },
      });
      expect(await stateOf('lead-1')).toMatchObject({
        status: 'user',
        external_id: 'lx-new',
        email: null,
      });
      expect(await stateOf('user-u')).toMatchObject({ status: 'user', email: 'Held@example.com' });
      expect(await reservations.holderOf(workspaceId, heldEmail)).toBe('user-u');
      expect(
        await reservations.holderOf(workspaceId, { kind: 'external_id', value: 'lx-new' }),
      ).toBe('lead-1');
    },
  );

  it('keeps, and claims, a kept email nobody holds', async () => {
    await leadWithEmail('lead-2', 'free@example.com');

    await identify('lead-2', 'sign_up', 'lx-free');

    expect(await stateOf('lead-2')).toMatchObject({
      status: 'user',
      external_id: 'lx-free',
      email: 'free@example.com',
    });
    expect(
      await reservations.holderOf(workspaceId, { kind: 'email', value: 'free@example.com' }),
    ).toBe('lead-2');
  });

  it('leaves the email behind when a user takes it between the look-up and the claim', async () => {
    await leadWithEmail('lead-3', 'held@example.com');
    const claimAll = reservations.claimAll.bind(reservations);
    let raced = false;
    jest.spyOn(reservations, 'claimAll').mockImplementation(async (...args) => {
      if (!raced) {
        raced = true;
        await userHolding('user-r', 'held@example.com');
      }
      return claimAll(...args);
    });

    const outcome = await identify('lead-3', 'sign_up', 'lx-raced');

    expect(outcome.contactId).toBe('lead-3');
    expect(await stateOf('lead-3')).toMatchObject({
      status: 'user',
      external_id: 'lx-raced',
      email: null,
    });
    expect(await stateOf('user-r')).toMatchObject({ email: 'held@example.com' });
    expect(await reservations.holderOf(workspaceId, heldEmail)).toBe('user-r');
  });
});
