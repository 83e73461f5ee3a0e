import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { contactsProjection } from '../../projections/contacts/contacts.projection';
import type { ContactsReadModel, ContactsTable } from '../../projections/contacts/contacts.table';
import { completeMerge } from '../../src/contacts/commands/merge-contacts/complete-merge';
import type { ContactCommand } from '../../src/contacts/domain/contact.commands';
import { contactDecider } from '../../src/contacts/domain/contact.decider';
import { ContactDomainError } from '../../src/contacts/domain/contact.errors';
import { isLive } from '../../src/contacts/domain/contact.state';
import { SqliteEventStore } from '../../src/infrastructure/event-store/sqlite/sqlite-event-store';
import { ManualClock } from '../../src/shared/clock';
import { handleCommand, loadState } from '../../src/shared/event-sourcing/handle-command';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { contactStreamId } from '../../src/shared/stream-names';
import { collect } from './event-store.conformance';
import {
  describeOnReadStores,
  openTestReadStore,
  type TestReadStore,
  resetProjectionTables,
} from '../support/read-store-targets';

const WORKSPACE = 'ws';
const IDS = ['c0', 'c1', 'c2', 'c3'].map(
  (suffix) => `00000000000000000000${suffix.padStart(4, '0')}`,
);
const T0 = 1_700_000_000;

type Step =
  | {
      kind: 'create';
      contact: number;
      role: 'lead' | 'user';
      name: string;
      plan: string | null;
      externalId: string | null;
    }
  | { kind: 'update'; contact: number; name: string; toUser: boolean; externalId: string | null }
  | { kind: 'seen'; contact: number; at: number; browser: string }
  | { kind: 'archive'; contact: number; archived: boolean }
  | { kind: 'merge'; from: number; into: number }
  | { kind: 'delete'; contact: number };

const contactIndex = fc.integer({ min: 0, max: IDS.length - 1 });
/** Few values, so that contacts take them from each other (commands alone reserve nothing). */
const EXTERNAL_IDS = fc.constantFrom('x1', 'x2', 'x3');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    contact: contactIndex,
    role: fc.constantFrom('lead' as const, 'user' as const),
    name: fc.string({ maxLength: 6 }),
    plan: fc.option(fc.constantFrom('free', 'pro')),
    externalId: fc.option(EXTERNAL_IDS),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    contact: contactIndex,
    name: fc.string({ maxLength: 6 }),
    toUser: fc.boolean(),
    externalId: fc.option(EXTERNAL_IDS),
  }),
  fc.record({
    kind: fc.constant('seen' as const),
    contact: contactIndex,
    at: fc.integer({ min: 0, max: 10_000 }),
    browser: fc.constantFrom('firefox', 'chrome'),
  }),
  fc.record({
    kind: fc.constant('archive' as const),
    contact: contactIndex,
    archived: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('merge' as const), from: contactIndex, into: contactIndex }),
  fc.record({ kind: fc.constant('delete' as const), contact: contactIndex }),
);

function commandFor(
  current: Step,
  now: number,
): { contactId: string; command: ContactCommand } | undefined {
  const ref = (index: number) => ({ contactId: IDS[index]!, workspaceId: WORKSPACE });
  switch (current.kind) {
    case 'create':
      return {
        contactId: IDS[current.contact]!,
        command: {
          type: 'CreateContact',
          data: {
            ...ref(current.contact),
            role: current.role,
            attributes: {
              name: current.name,
              ...(current.plan ? { custom_attributes: { plan: current.plan } } : {}),
              ...(current.externalId ? { external_id: current.externalId } : {}),
            },
          },
          now,
        },
      };
    case 'update':
      return {
        contactId: IDS[current.contact]!,
        command: {
          type: 'UpdateContact',
          data: {
            ...ref(current.contact),
            attributes: {
              name: current.name,
              ...(current.externalId ? { external_id: current.externalId } : {}),
            },
            ...(current.toUser ? { role: 'user' as const } : {}),
          },
          now,
        },
      };
    case 'seen':
      return {
        contactId: IDS[current.contact]!,
        command: {
          type: 'RecordSeen',
          data: {
            ...ref(current.contact),
            occurredAt: T0 + current.at,
            context: { browser: current.browser },
          },
          now,
        },
      };
    case 'archive':
      return {
        contactId: IDS[current.contact]!,
        command: {
          type: current.archived ? 'ArchiveContact' : 'UnarchiveContact',
          data: ref(current.contact),
          now,
        },
      };
    case 'merge':
      return {
        contactId: IDS[current.from]!,
        command: {
          type: 'MergeInto',
          data: { ...ref(current.from), into: IDS[current.into]! },
          now,
        },
      };
    case 'delete':
      return {
        contactId: IDS[current.contact]!,
        command: { type: 'DeleteContact', data: ref(current.contact), now },
      };
  }
}

/**
 * A merged lead lives on in its target: deleting the target takes the lead's row with it (the
 * projection keeps that row only so the id answers "merged"), once the target had absorbed it.
 */
async function absorbedByADeletedTarget(
  store: SqliteEventStore,
  id: string,
  state: Awaited<ReturnType<typeof loadState>>['state'],
): Promise<boolean> {
  const s = state as Parameters<typeof isLive>[0];
  if (s.status !== 'merged') return false;
  let absorbed = false;
  for await (const event of store.readStream(contactStreamId(WORKSPACE, s.into))) {
    if (event.type === 'LeadMergeAbsorbed' && (event.data as { from: string }).from === id)
      absorbed = true;
    if (event.type === 'ContactDeleted' && absorbed) return true;
  }
  return false;
}

/** The columns a fold determines, as the domain sees them. */
function expectedColumns(
  state: Awaited<ReturnType<typeof loadState>>['state'],
): Partial<ContactsTable> | undefined {
  const s = state as Parameters<typeof isLive>[0];
  if (s.status === 'none' || s.status === 'deleted') return undefined;
  if (s.status === 'merged') return { status: 'merged', merged_into: s.into };
  return {
    status: 'live',
    role: s.status,
    name: s.name,
    archived: s.archived ? 1 : 0,
    last_seen_at: s.last_seen_at,
    browser: s.browser,
    updated_at: s.updated_at,
    custom_attributes: canonicalJson(s.custom_attributes),
    merge_history: canonicalJson(s.merge_history),
  };
}

/** JSON text with every object's keys sorted: PostgreSQL's jsonb keeps its own key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}

function actualColumns(
  row: ContactsTable | undefined,
  expected: Partial<ContactsTable> | undefined,
): Partial<ContactsTable> | undefined {
  if (!row || !expected) return row && { status: row.status };
  const normalized: Record<string, unknown> = {};
  for (const key of Object.keys(expected) as (keyof ContactsTable)[]) {
    const value = row[key];
    normalized[key] =
      key === 'custom_attributes' || key === 'merge_history'
        ? canonicalJson(typeof value === 'string' ? JSON.parse(value) : value)
        : typeof value === 'string' && /^(updated_at|last_seen_at)$/.test(key)
          ? Number(value)
          : value;
  }
  return normalized;
}

/** Each external_id's latest holder, as `contacts_external_id_holders` keeps them. */
const holders = (db: Kysely<ContactsReadModel>) =>
  db
    .selectFrom('contacts_external_id_holders')
    .select(['workspace_id', 'external_id', 'contact_id'])
    .orderBy('workspace_id')
    .orderBy('external_id')
    .execute();

/** The external_id a contact has as the domain folds it: live, or kept by a merged lead. */
function externalIdOf(state: Awaited<ReturnType<typeof loadState>>['state']): string | null {
  const s = state as Parameters<typeof isLive>[0];
  if (isLive(s)) return s.external_id;
  return s.status === 'merged' ? s.closedAs.external_id : null;
}

describeOnReadStores('contacts projection', (dialect) => {
  let target: TestReadStore;
  let db: Kysely<ContactsReadModel>;

  beforeAll(async () => {
    target = await openTestReadStore(dialect);
    db = target.store.db as Kysely<ContactsReadModel>;
  });
  afterAll(() => target.dispose());

  it('holds, for every contact, what the domain folds from its events, and applying twice changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        async (steps, batchSize) => {
          const store = SqliteEventStore.open({ file: ':memory:' });
          const clock = new ManualClock(T0 * 1000);
          try {
            await resetProjectionTables(target.store, contactsProjection);
            for (const current of steps) {
              clock.advance(1000);
              const planned = commandFor(current, Math.floor(clock.now() / 1000));
              if (!planned) continue;
              try {
                await handleCommand(
                  store,
                  contactStreamId(WORKSPACE, planned.contactId),
                  contactDecider,
                  planned.command,
                  {
                    metadata: { workspaceId: WORKSPACE, occurredAt: clock.now() },
                  },
                );
                if (planned.command.type === 'MergeInto')
                  await completeMerge(
                    store,
                    clock,
                    WORKSPACE,
                    planned.contactId,
                    planned.command.data.into,
                  );
              } catch (error) {
                if (!(error instanceof ContactDomainError)) throw error;
              }
            }
            const events = (await collect(store.readAll())).filter((event) =>
              contactsProjection.eventTypes.includes(event.type),
            );
            const applyInBatches = async (all: readonly RecordedEvent[]) => {
              for (let index = 0; index < all.length; index += batchSize) {
                await db
                  .transaction()
                  .execute((tx) =>
                    contactsProjection.apply(
                      all.slice(index, index + batchSize),
                      tx,
                      (name) => name,
                    ),
                  );
              }
            };
            await applyInBatches(events);
            const once = await db.selectFrom('contacts').selectAll().orderBy('id').execute();
            const holdersOnce = await holders(db);
            await applyInBatches(events);
            expect(await db.selectFrom('contacts').selectAll().orderBy('id').execute()).toEqual(
              once,
            );
            expect(await holders(db)).toEqual(holdersOnce);

            for (const id of IDS) {
              const { state } = await loadState(
                store,
                contactStreamId(WORKSPACE, id),
                contactDecider,
              );
              const expected = (await absorbedByADeletedTarget(store, id, state))
                ? undefined
                : expectedColumns(state);
              const row = once.find((candidate) => candidate.id === id);
              expect(actualColumns(row, expected)).toEqual(expected);
              // A value's holder has it still, and a row: no value outlives a contact's data.
              for (const holder of holdersOnce.filter((found) => found.contact_id === id)) {
                expect([row?.id, externalIdOf(state)]).toEqual([id, holder.external_id]);
              }
            }

            // However the log is cut into batches, each value's latest holder is the same.
            await resetProjectionTables(target.store, contactsProjection);
            await db
              .transaction()
              .execute((tx) => contactsProjection.apply(events, tx, (name) => name));
            expect(await holders(db)).toEqual(holdersOnce);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: dialect === 'postgres' ? 25 : 60 },
    );
  });

  /**
   * `contacts_external_id_holders` after `events`, applied in batches of every size (into fresh
   * tables), and each twice: the same for all of them, or the test fails.
   */
  async function holdersAfter(events: readonly RecordedEvent[]) {
    const seen: Array<Awaited<ReturnType<typeof holders>>> = [];
    for (let batchSize = 1; batchSize <= events.length; batchSize += 1) {
      await resetProjectionTables(target.store, contactsProjection);
      for (let pass = 0; pass < 2; pass += 1) {
        for (let index = 0; index < events.length; index += batchSize) {
          await db
            .transaction()
            .execute((tx) =>
              contactsProjection.apply(events.slice(index, index + batchSize), tx, (name) => name),
            );
        }
      }
      seen.push(await holders(db));
    }
    expect(seen.filter((found) => JSON.stringify(found) !== JSON.stringify(seen[0]))).toEqual([]);
    return seen[0]!.map((holder) => [holder.external_id, holder.contact_id]);
  }

  /** A log of contact commands, each a second after the last, and merges completed. */
  function contactLog() {
    const store = SqliteEventStore.open({ file: ':memory:' });
    const clock = new ManualClock(T0 * 1000);
    return {
      store,
      async run(contactId: string, type: ContactCommand['type'], data: object = {}) {
        clock.advance(1000);
        await handleCommand(
          store,
          contactStreamId(WORKSPACE, contactId),
          contactDecider,
          {
            type,
            data: { contactId, workspaceId: WORKSPACE, ...data },
            now: Math.floor(clock.now() / 1000),
          } as ContactCommand,
          { metadata: { workspaceId: WORKSPACE, occurredAt: clock.now() } },
        );
        if (type === 'MergeInto')
          await completeMerge(store, clock, WORKSPACE, contactId, (data as { into: string }).into);
      },
      async events() {
        return (await collect(store.readAll())).filter((event) =>
          contactsProjection.eventTypes.includes(event.type),
        );
      },
    };
  }

  it("keeps each external_id's latest holder: a merged lead until another contact takes it, nobody once that one gives it up", async () => {
    const [lead, user, claimant, earlier] = IDS as [string, string, string, string];
    const log = contactLog();
    try {
      await log.run(lead, 'CreateContact', { role: 'lead', attributes: { name: 'lead' } });
      // Held and given up before the lead took it: in a batch with the lead's events, folded after
      // them, and folded again when applied twice (a deleted contact has no row), that older claim
      // and release change nothing that happened since.
      await log.run(earlier, 'CreateContact', { role: 'user', attributes: { external_id: 'x' } });
      await log.run(earlier, 'DeleteContact');
      await log.run(lead, 'UpdateContact', { attributes: { external_id: 'x' } });
      await log.run(user, 'CreateContact', { role: 'user', attributes: { external_id: 'own' } });
      await log.run(lead, 'MergeInto', { into: user });
      expect(await holdersAfter(await log.events())).toEqual([
        ['own', user],
        ['x', lead],
      ]);

      await log.run(claimant, 'CreateContact', { role: 'user', attributes: { external_id: 'x' } });
      expect(await holdersAfter(await log.events())).toEqual([
        ['own', user],
        ['x', claimant],
      ]);
      await log.run(claimant, 'UpdateContact', { attributes: { external_id: 'y' } });
      expect(await holdersAfter(await log.events())).toEqual([
        ['own', user],
        ['y', claimant],
      ]);
    } finally {
      await log.store.close();
    }
  });

  it("lets a merged lead's external_id go with the user it was merged into", async () => {
    const [lead, user] = IDS as [string, string];
    const log = contactLog();
    try {
      await log.run(lead, 'CreateContact', { role: 'lead', attributes: { external_id: 'x' } });
      await log.run(user, 'CreateContact', { role: 'user', attributes: { external_id: 'own' } });
      await log.run(lead, 'MergeInto', { into: user });
      await log.run(user, 'DeleteContact');
      expect(await holdersAfter(await log.events())).toEqual([]);
    } finally {
      await log.store.close();
    }
  });

  it('keeps the rows of two workspaces apart when their contacts share an id, in one batch', async () => {
    const store = SqliteEventStore.open({ file: ':memory:' });
    try {
      await resetProjectionTables(target.store, contactsProjection);
      const id = IDS[0]!;
      const both = async (command: (workspaceId: string) => ContactCommand) => {
        for (const workspaceId of ['ws-a', 'ws-b']) {
          await handleCommand(
            store,
            contactStreamId(workspaceId, id),
            contactDecider,
            command(workspaceId),
            { metadata: { workspaceId, occurredAt: T0 * 1000 } },
          );
        }
      };
      const rows = async () => {
        const events = await collect(store.readAll({ fromPosition: applied }));
        applied = events[events.length - 1]!.position;
        await db
          .transaction()
          .execute((tx) => contactsProjection.apply(events, tx, (name) => name));
        return db
          .selectFrom('contacts')
          .select(['workspace_id', 'id', 'name'])
          .orderBy('workspace_id')
          .execute();
      };
      let applied = 0n;
      await both((workspaceId) => ({
        type: 'CreateContact',
        data: { contactId: id, workspaceId, role: 'lead', attributes: { name: 'new' } },
        now: T0,
      }));
      expect(await rows()).toEqual([
        { workspace_id: 'ws-a', id, name: 'new' },
        { workspace_id: 'ws-b', id, name: 'new' },
      ]);
      // Both existing rows are loaded: one workspace's must not stand for the other's.
      await both((workspaceId) => ({
        type: 'UpdateContact',
        data: { contactId: id, workspaceId, attributes: { name: `in ${workspaceId}` } },
        now: T0 + 1,
      }));
      expect(await rows()).toEqual([
        { workspace_id: 'ws-a', id, name: 'in ws-a' },
        { workspace_id: 'ws-b', id, name: 'in ws-b' },
      ]);
    } finally {
      await store.close();
    }
  });
});
