import type { Kysely, Transaction } from 'kysely';
import {
  EMPTY_LOCATION,
  type FieldWrittenAt,
  type ContactLocation,
} from '../../src/contacts/domain/contact.attributes';
import { CONTACT_EVENT_TYPES, toContactEvent } from '../../src/contacts/contact-event-codec';
import type { ContactEventType } from '../../src/contacts/domain/contact.events';
import { Set as PersistentSet } from 'immutable';
import { evolve } from '../../src/contacts/domain/contact.evolve';
import type { SearchableContact } from '../../src/contacts/search/contact-search.evaluate';
import {
  isLive,
  type ContactState,
  type LiveContact,
  type MergeHistoryItem,
} from '../../src/contacts/domain/contact.state';
import { defineProjection } from '../../src/projection-runner/projection';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import {
  addHeldValueChanges,
  applyCountDeltas,
  CountDeltas,
} from '../attribute-values/attribute-value-counts';
import {
  createAttributeValuesTables,
  dropTotalsOfUnheldAttributes,
} from '../attribute-values/attribute-values.schema';
import { positionText } from '../shared/log-position';
import { insertRows, quoted, upsertClause } from '../shared/raw-insert';
import { selectByIds } from '../shared/raw-select';
import {
  CONTACT_COLUMNS,
  contactRowOf,
  contactValuesOf,
  type ContactsReadModel,
  type ContactsTable,
  type ExternalIdHoldersTable,
} from './contacts.table';
import {
  createContactsTable,
  createExternalIdHoldersTable,
  dropLookupByIdAlone,
} from './contacts.schema';
import { contactIdsByWorkspace } from '../shared/by-workspace';
import { RowWrites } from '../shared/row-writes';

/** Data events and their reported summaries change no column of this read model. */
export const DATA_EVENT_TYPES: readonly ContactEventType[] = [
  'DataEventTracked',
  'DataEventSummaryReported',
];

/** Every contact event except data events (`DATA_EVENT_TYPES`). */
export const CONTACTS_PROJECTION_EVENT_TYPES: readonly ContactEventType[] =
  CONTACT_EVENT_TYPES.filter((type) => !DATA_EVENT_TYPES.includes(type));

/**
 * The contacts read model. Each row is the domain's own fold (`evolve`) of the contact's events,
 * so the read model and the write side cannot disagree about what an event means: a batch loads
 * the rows it touches, folds the new events into them and writes them back. `revision` makes a
 * replayed event a no-op (at-least-once delivery).
 *
 * The same fold keeps the attribute value counts (`contacts_attribute_values`): a contact's
 * counts move by the difference between the values it held before the batch and after it. A
 * projection of their own had to keep a second fold of every contact to know "before"; here the
 * loaded row is that state, and counts and rows commit together. So does each external_id's
 * latest holder (`contacts_external_id_holders`), from the events that change a contact's value.
 */
export const CONTACTS_PROJECTION = 'contacts';

export const contactsProjection = defineProjection<ContactsReadModel>({
  name: CONTACTS_PROJECTION,
  // 6: each external_id's latest holder (contacts_external_id_holders), from the whole log.
  version: 6,
  eventTypes: CONTACTS_PROJECTION_EVENT_TYPES,
  tables: [
    'contacts',
    'contacts_attribute_values',
    'contacts_attribute_values_totals',
    'contacts_external_id_holders',
  ],
  migrations: [
    { name: '001_contacts', up: createContactsTable },
    { name: '002_attribute_values', up: createAttributeValuesTables },
    { name: '003_no_lookup_by_id_alone', up: dropLookupByIdAlone },
    { name: '004_external_id_holders', up: createExternalIdHoldersTable },
    { name: '005_no_totals_of_unheld_attributes', up: dropTotalsOfUnheldAttributes },
  ],
  async apply(events, tx, tables) {
    const byContact = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const key = contactKey(event);
      const list = byContact.get(key);
      if (list) list.push(event);
      else byContact.set(key, [event]);
    }
    const existing = await loadRows(
      tx,
      tables('contacts'),
      [...byContact.values()].map((list) => list[0]!.data as ContactEventKey),
    );
    const writes = new RowWrites<ContactsTable>(CONTACT_COLUMNS, CONTACT_KEY, contactValuesOf);
    const counts = new CountDeltas();
    const holders = new ExternalIdHolders();
    const deletions: Array<{ workspace_id: string; id: string }> = [];
    const absorbedDeletions: Array<{ workspace_id: string; id: string }> = [];
    for (const contactEvents of byContact.values()) {
      const first = contactEvents[0]!.data as ContactEventKey;
      const row = existing.get(rowKey(first.workspaceId, first.contactId));
      const before: ContactState = row ? rowToState(row) : { status: 'none' };
      let state = before;
      let lastLive: LiveContact | undefined;
      let revision = row?.revision ?? -1;
      for (const event of contactEvents) {
        if (Number(event.revision) <= revision) continue;
        if (isLive(state)) lastLive = state;
        const held = externalIdHeld(state);
        state = evolve(state, toContactEvent(event));
        revision = Number(event.revision);
        const holds = externalIdHeld(state);
        if (holds !== held) {
          holders.moved(first.workspaceId, first.contactId, held, holds, event.position);
        }
      }
      if (revision === (row?.revision ?? -1)) continue;
      addHeldValueChanges(counts, first.workspaceId, before, state);
      switch (state.status) {
        case 'none':
          break;
        case 'deleted': {
          deletions.push({ workspace_id: state.workspace_id, id: state.id });
          // The leads merged into it live on in it: their rows (kept so that their ids answer
          // "merged") go with it, personal data and all.
          const absorbed = lastLive ?? (isLive(before) ? before : undefined);
          for (const merged of absorbed?.merge_history ?? []) {
            absorbedDeletions.push({
              workspace_id: state.workspace_id,
              id: merged.source_contact_id,
            });
          }
          break;
        }
        case 'merged': {
          // A closed source keeps its last live columns, so its id still resolves to the target.
          const base = lastLive ? liveRow(lastLive, revision) : row!;
          writes.add(row, {
            ...withJsonText(base),
            status: 'merged',
            merged_into: state.into,
            revision,
          });
          break;
        }
        case 'visitor':
        case 'lead':
        case 'user':
          writes.add(row, liveRow(state, revision));
          break;
      }
    }
    await writes.flush(tx as unknown as Kysely<unknown>, tables('contacts'));
    await applyCountDeltas(tx, tables, counts);
    await holders.flush(tx, tables('contacts_external_id_holders'));
    for (const deletion of absorbedDeletions) {
      // Its value goes with it, unless another contact has taken it since.
      await tx
        .deleteFrom('contacts_external_id_holders')
        .where('workspace_id', '=', deletion.workspace_id)
        .where('contact_id', '=', deletion.id)
        .where('external_id', 'in', (eb) =>
          eb
            .selectFrom('contacts')
            .select('contacts.external_id')
            .where('contacts.workspace_id', '=', deletion.workspace_id)
            .where('contacts.id', '=', deletion.id),
        )
        .execute();
    }
    for (const deletion of [...deletions, ...absorbedDeletions]) {
      await tx
        .deleteFrom('contacts')
        .where('workspace_id', '=', deletion.workspace_id)
        .where('id', '=', deletion.id)
        .execute();
    }
  },
});

const contactKey = (event: RecordedEvent): string => event.streamId;

// A type literal, not an interface: event data (a record) converts to it.
type ContactEventKey = { readonly workspaceId: string; readonly contactId: string };

const rowKey = (workspaceId: string, id: string): string => `${workspaceId}\u0000${id}`;

/** The batch's existing rows by `rowKey`, looked up by primary key, workspace by workspace. */
async function loadRows(
  tx: Transaction<ContactsReadModel>,
  table: string,
  contacts: readonly ContactEventKey[],
): Promise<Map<string, ContactsTable>> {
  const rows = new Map<string, ContactsTable>();
  for (const [workspaceId, ids] of contactIdsByWorkspace(contacts)) {
    const db = tx as unknown as Kysely<unknown>;
    const found = await selectByIds(
      db,
      table,
      'id',
      CONTACT_COLUMNS,
      contactRowOf,
      workspaceId,
      ids,
    );
    for (const row of found) rows.set(rowKey(row.workspace_id, row.id), row);
  }
  return rows;
}

const CONTACT_KEY = ['workspace_id', 'id'] as const;

/** The external_id a contact has, live or closed by a merge (a merged lead keeps its own). */
function externalIdHeld(state: ContactState): string | null {
  if (isLive(state)) return state.external_id;
  return state.status === 'merged' ? state.closedAs.external_id : null;
}

/**
 * The batch's changes to `contacts_external_id_holders`: per value, the last event of the batch
 * that gave it to a contact or took it from one. Events of different contacts are folded contact
 * by contact, not in log order, so the last is found by position. A later event of the value
 * decides alone: a contact taking it supersedes every earlier holder, and one giving it up was
 * its latest holder, having taken it after every earlier one.
 *
 * Stored rows keep their claim's position, and both writes only replace what is older: applied
 * again (a deleted contact has no row, so its events are folded anew), an old claim or release
 * changes nothing that happened since.
 */
class ExternalIdHolders {
  private readonly changes = new Map<
    string,
    { workspaceId: string; value: string; holder: string | null; position: bigint }
  >();

  moved(
    workspaceId: string,
    contactId: string,
    from: string | null,
    to: string | null,
    position: bigint,
  ): void {
    if (from !== null) this.note(workspaceId, from, null, position);
    if (to !== null) this.note(workspaceId, to, contactId, position);
  }

  private note(workspaceId: string, value: string, holder: string | null, position: bigint): void {
    const key = rowKey(workspaceId, value);
    const known = this.changes.get(key);
    if (known === undefined || known.position < position) {
      this.changes.set(key, { workspaceId, value, holder, position });
    }
  }

  async flush(tx: Transaction<ContactsReadModel>, table: string): Promise<void> {
    const claims: ExternalIdHoldersTable[] = [];
    for (const change of this.changes.values()) {
      const position = positionText(change.position);
      if (change.holder !== null) {
        claims.push({
          workspace_id: change.workspaceId,
          external_id: change.value,
          contact_id: change.holder,
          position,
        });
        continue;
      }
      await tx
        .deleteFrom('contacts_external_id_holders')
        .where('workspace_id', '=', change.workspaceId)
        .where('external_id', '=', change.value)
        .where('position', '<', position)
        .execute();
    }
    await insertRows(
      tx as unknown as Kysely<unknown>,
      table,
      HOLDER_COLUMNS,
      claims,
      `${upsertClause(HOLDER_KEY, HOLDER_UPDATED)} WHERE ${quoted(table)}.${quoted('position')} < excluded.${quoted('position')}`,
    );
  }
}

const HOLDER_KEY = ['workspace_id', 'external_id'] as const;
const HOLDER_UPDATED = ['contact_id', 'position'] as const;
const HOLDER_COLUMNS = [...HOLDER_KEY, ...HOLDER_UPDATED] as const;

/** JSON columns are text in SQLite and jsonb in PostgreSQL (read back parsed); both accept JSON text. */
const withJsonText = (row: ContactsTable): ContactsTable => ({
  ...row,
  custom_attributes: toJsonText(row.custom_attributes),
  merge_history: toJsonText(row.merge_history),
});

const toJsonText = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

const flag = (value: boolean): number => (value ? 1 : 0);

const parseJson = <T>(value: unknown, fallback: T): T => {
  if (value === null || value === undefined) return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
};

/**
 * The state a row stands for; fields only the decider needs (throttle, dedupe keys, blocked,
 * when it stopped being a visitor, the email's verification) start empty.
 */
export function rowToState(row: ContactsTable): ContactState {
  const live = liveStateOfRow(row);
  if (row.status !== 'merged') return live;
  // A merged row keeps the source's last live columns and role: the contact as it was closed.
  return {
    status: 'merged',
    id: row.id,
    workspace_id: row.workspace_id,
    into: row.merged_into ?? '',
    mergedAt: row.updated_at,
    closedAs: { ...live, status: row.role === 'visitor' ? 'visitor' : 'lead' },
  };
}

function liveStateOfRow(row: ContactsTable): LiveContact {
  // One literal, no spreads: V8 builds a spread followed by more properties on a slow runtime
  // path, and every loaded row goes through here.
  return {
    status: row.role as LiveContact['status'],
    id: row.id,
    workspace_id: row.workspace_id,
    email: row.email,
    phone: row.phone,
    name: row.name,
    avatar: row.avatar,
    external_id: row.external_id,
    owner_id: row.owner_id,
    signed_up_at: row.signed_up_at,
    last_seen_at: row.last_seen_at,
    unsubscribed_from_emails: row.unsubscribed_from_emails === 1,
    has_hard_bounced: row.has_hard_bounced === 1,
    marked_email_as_spam: row.marked_email_as_spam === 1,
    language_override: row.language_override,
    browser: row.browser,
    browser_version: row.browser_version,
    browser_language: row.browser_language,
    os: row.os,
    location: locationOfRow(row),
    referrer: row.referrer,
    utm_campaign: row.utm_campaign,
    utm_content: row.utm_content,
    utm_medium: row.utm_medium,
    utm_source: row.utm_source,
    utm_term: row.utm_term,
    archived: row.archived === 1,
    email_verified: null,
    blockedAt: null,
    visitorUntil: null,
    userSince: null,
    user_id: row.visitor_user_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_replied_at: row.last_replied_at,
    last_contacted_at: row.last_contacted_at,
    custom_attributes: parseJson(row.custom_attributes, {}),
    merge_history: parseJson<MergeHistoryItem[]>(row.merge_history, []),
    lastSeenRecordedAt: null,
    fieldWrittenAt: parseJson<FieldWrittenAt>(row.field_written_at, {}),
    dataEventKeys: PersistentSet(),
  };
}

const locationOfRow = (row: ContactsTable): ContactLocation =>
  row.location_country === null && row.location_region === null && row.location_city === null
    ? EMPTY_LOCATION
    : { country: row.location_country, region: row.location_region, city: row.location_city };

/** The row of a live contact (segment membership keeps its own copy of these rows). */
export function liveRow(contact: LiveContact, revision: number): ContactsTable {
  // One literal, no spreads, as in `liveStateOfRow`: it runs for every contact a batch writes.
  return {
    workspace_id: contact.workspace_id,
    id: contact.id,
    role: contact.status,
    status: 'live',
    merged_into: null,
    archived: flag(contact.archived),
    external_id: contact.external_id,
    email: contact.email,
    email_domain: emailDomain(contact.email),
    phone: contact.phone,
    name: contact.name,
    avatar: contact.avatar,
    owner_id: contact.owner_id,
    visitor_user_id: contact.user_id,
    created_at: contact.created_at,
    updated_at: contact.updated_at,
    signed_up_at: contact.signed_up_at,
    last_seen_at: contact.last_seen_at,
    last_replied_at: contact.last_replied_at,
    last_contacted_at: contact.last_contacted_at,
    unsubscribed_from_emails: flag(contact.unsubscribed_from_emails),
    has_hard_bounced: flag(contact.has_hard_bounced),
    marked_email_as_spam: flag(contact.marked_email_as_spam),
    language_override: contact.language_override,
    browser: contact.browser,
    browser_version: contact.browser_version,
    browser_language: contact.browser_language,
    os: contact.os,
    location_country: contact.location.country,
    location_region: contact.location.region,
    location_city: contact.location.city,
    referrer: contact.referrer,
    utm_campaign: contact.utm_campaign,
    utm_content: contact.utm_content,
    utm_medium: contact.utm_medium,
    utm_source: contact.utm_source,
    utm_term: contact.utm_term,
    custom_attributes: JSON.stringify(contact.custom_attributes),
    merge_history: JSON.stringify(contact.merge_history),
    field_written_at: JSON.stringify(contact.fieldWrittenAt),
    revision,
  };
}

/**
 * `liveRow` as segment rules read it: the custom attributes as the fold has them, and none of the
 * JSON text a rule never reads (membership evaluates after every event, and writes a contact's
 * row once per batch).
 */
export function liveSearchable(contact: LiveContact, revision: number): SearchableContact {
  // One literal, no spreads, as in `liveRow`.
  return {
    workspace_id: contact.workspace_id,
    id: contact.id,
    role: contact.status,
    status: 'live',
    merged_into: null,
    archived: flag(contact.archived),
    external_id: contact.external_id,
    email: contact.email,
    email_domain: emailDomain(contact.email),
    phone: contact.phone,
    name: contact.name,
    avatar: contact.avatar,
    owner_id: contact.owner_id,
    visitor_user_id: contact.user_id,
    created_at: contact.created_at,
    updated_at: contact.updated_at,
    signed_up_at: contact.signed_up_at,
    last_seen_at: contact.last_seen_at,
    last_replied_at: contact.last_replied_at,
    last_contacted_at: contact.last_contacted_at,
    unsubscribed_from_emails: flag(contact.unsubscribed_from_emails),
    has_hard_bounced: flag(contact.has_hard_bounced),
    marked_email_as_spam: flag(contact.marked_email_as_spam),
    language_override: contact.language_override,
    browser: contact.browser,
    browser_version: contact.browser_version,
    browser_language: contact.browser_language,
    os: contact.os,
    location_country: contact.location.country,
    location_region: contact.location.region,
    location_city: contact.location.city,
    referrer: contact.referrer,
    utm_campaign: contact.utm_campaign,
    utm_content: contact.utm_content,
    utm_medium: contact.utm_medium,
    utm_source: contact.utm_source,
    utm_term: contact.utm_term,
    custom_attributes: contact.custom_attributes,
    revision,
  };
}

/**
 * `row` as segment rules read it, with its custom attributes as parsed: `liveSearchable` of a
 * stored row, copied column by column (one literal: a spread of a row cost ~5 µs).
 */
export function searchableOfRow(
  row: ContactsTable,
  customAttributes: Readonly<Record<string, unknown>>,
): SearchableContact {
  return {
    workspace_id: row.workspace_id,
    id: row.id,
    role: row.role,
    status: row.status,
    merged_into: row.merged_into,
    archived: row.archived,
    external_id: row.external_id,
    email: row.email,
    email_domain: row.email_domain,
    phone: row.phone,
    name: row.name,
    avatar: row.avatar,
    owner_id: row.owner_id,
    visitor_user_id: row.visitor_user_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    signed_up_at: row.signed_up_at,
    last_seen_at: row.last_seen_at,
    last_replied_at: row.last_replied_at,
    last_contacted_at: row.last_contacted_at,
    unsubscribed_from_emails: row.unsubscribed_from_emails,
    has_hard_bounced: row.has_hard_bounced,
    marked_email_as_spam: row.marked_email_as_spam,
    language_override: row.language_override,
    browser: row.browser,
    browser_version: row.browser_version,
    browser_language: row.browser_language,
    os: row.os,
    location_country: row.location_country,
    location_region: row.location_region,
    location_city: row.location_city,
    referrer: row.referrer,
    utm_campaign: row.utm_campaign,
    utm_content: row.utm_content,
    utm_medium: row.utm_medium,
    utm_source: row.utm_source,
    utm_term: row.utm_term,
    custom_attributes: customAttributes,
    revision: row.revision,
  };
}

export const emailDomain = (email: string | null): string | null => {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at < 0 ? null : email.slice(at + 1).toLowerCase();
};
