import type { Kysely, Transaction } from 'kysely';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import { defineProjection } from '../../src/projection-runner/projection';
import { insertRows, upsertClause } from '../shared/raw-insert';
import {
  convertedFromLead,
  convertedFromVisitor,
  LIFECYCLE_EVENT_TYPES,
  lifecycleAfter,
  NO_LIFECYCLE,
  type ContactLifecycle,
} from './contact-lifecycle';
import type { LifecycleContactsTable, LifecycleReadModel } from './lifecycle.table';
import { contactIdsByWorkspace } from '../shared/by-workspace';

export const LIFECYCLE_PROJECTION = 'lifecycle';

/** Contacts read (and written) per statement. */
const CHUNK = 200;

/**
 * The lifecycle funnel's read model (history.md): per contact, when it first was a visitor, a
 * lead and a user, and whether it converted, folded by `lifecycleAfter`. A row is a pure function
 * of the contact's events whatever the batches were, so a rebuild writes the same rows; safe to
 * apply twice, the fold keeping the earliest times.
 */
export const lifecycleProjection = defineProjection<LifecycleReadModel>({
  name: LIFECYCLE_PROJECTION,
  // 2: a contact that was a user before its first conversion (by event time) was never a lead.
  version: 2,
  eventTypes: LIFECYCLE_EVENT_TYPES,
  tables: ['lifecycle_contacts'],
  migrations: [
    {
      name: '001_lifecycle_contacts',
      async up(db, tables) {
        await db.schema
          .createTable('lifecycle_contacts')
          .addColumn('workspace_id', 'text', (column) => column.notNull())
          .addColumn('contact_id', 'text', (column) => column.notNull())
          .addColumn('visitor_at', 'bigint')
          .addColumn('lead_at', 'bigint')
          .addColumn('user_at', 'bigint')
          .addColumn('from_visitor', 'integer', (column) => column.notNull())
          .addColumn('from_lead', 'integer', (column) => column.notNull())
          .addPrimaryKeyConstraint(`${tables('lifecycle_contacts')}_pk`, [
            'workspace_id',
            'contact_id',
          ])
          .execute();
        // The funnel counts a workspace's contacts by when they became each role.
        for (const column of ['visitor_at', 'lead_at', 'user_at'] as const)
          await db.schema
            .createIndex(`${tables('lifecycle_contacts')}_${column}`)
            .on('lifecycle_contacts')
            .columns(['workspace_id', column])
            .execute();
      },
    },
  ],
  async apply(events, tx, tables) {
    const byContact = new Map<
      string,
      { workspaceId: string; contactId: string; events: ReturnType<typeof toContactEvent>[] }
    >();
    for (const recorded of events) {
      const event = toContactEvent(recorded);
      // Only a promotion moves an update's contact along; any other leaves it be, read or not.
      if (event.type === 'ContactUpdated' && event.data.changes.role === undefined) continue;
      const key = JSON.stringify([event.data.workspaceId, event.data.contactId]);
      const contact = byContact.get(key) ?? {
        workspaceId: event.data.workspaceId,
        contactId: event.data.contactId,
        events: [],
      };
      contact.events.push(event);
      byContact.set(key, contact);
    }
    const contacts = [...byContact.values()];
    for (let index = 0; index < contacts.length; index += CHUNK) {
      const chunk = contacts.slice(index, index + CHUNK);
      const known = await lifecyclesOf(tx, chunk);
      const rows = chunk.map(({ workspaceId, contactId, events: contactEvents }) =>
        rowOf(
          workspaceId,
          contactId,
          contactEvents.reduce(
            lifecycleAfter,
            known.get(JSON.stringify([workspaceId, contactId])) ?? NO_LIFECYCLE,
          ),
        ),
      );
      // As SQL text (see `insertRows`): Kysely built and compiled every row of every chunk.
      await insertRows(
        tx as unknown as Kysely<unknown>,
        tables('lifecycle_contacts'),
        LIFECYCLE_COLUMNS,
        rows,
        upsertClause(LIFECYCLE_KEY, LIFECYCLE_UPDATED),
      );
    }
  },
});

const LIFECYCLE_KEY = ['workspace_id', 'contact_id'] as const;
const LIFECYCLE_UPDATED = [
  'visitor_at',
  'lead_at',
  'user_at',
  'from_visitor',
  'from_lead',
] as const;
const LIFECYCLE_COLUMNS = [...LIFECYCLE_KEY, ...LIFECYCLE_UPDATED] as const;

/** The stored lifecycles of `contacts`, looked up by primary key, workspace by workspace. */
async function lifecyclesOf(
  tx: Transaction<LifecycleReadModel>,
  contacts: readonly { readonly workspaceId: string; readonly contactId: string }[],
): Promise<Map<string, ContactLifecycle>> {
  const known = new Map<string, ContactLifecycle>();
  for (const [workspaceId, ids] of contactIdsByWorkspace(contacts)) {
    const rows = await tx
      .selectFrom('lifecycle_contacts')
      .select(['workspace_id', 'contact_id', 'visitor_at', 'lead_at', 'user_at'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', ids)
      .execute();
    for (const row of rows) {
      known.set(JSON.stringify([row.workspace_id, row.contact_id]), {
        visitorAt: secondsOrNull(row.visitor_at),
        leadAt: secondsOrNull(row.lead_at),
        userAt: secondsOrNull(row.user_at),
      });
    }
  }
  return known;
}

/** PostgreSQL answers a bigint as text. */
const secondsOrNull = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

const rowOf = (
  workspaceId: string,
  contactId: string,
  lifecycle: ContactLifecycle,
): LifecycleContactsTable => ({
  workspace_id: workspaceId,
  contact_id: contactId,
  visitor_at: lifecycle.visitorAt,
  lead_at: lifecycle.leadAt,
  user_at: lifecycle.userAt,
  from_visitor: convertedFromVisitor(lifecycle) ? 1 : 0,
  from_lead: convertedFromLead(lifecycle) ? 1 : 0,
});
