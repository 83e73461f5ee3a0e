import type { Transaction } from 'kysely';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import { evolve } from '../../src/contacts/domain/contact.evolve';
import {
  isLive,
  type ContactState,
  type LiveContact,
} from '../../src/contacts/domain/contact.state';
import { defineProjection } from '../../src/projection-runner/projection';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { CONTACTS_PROJECTION_EVENT_TYPES } from '../contacts/contacts.projection';
import type {
  AttributeValuesContactTable,
  AttributeValuesReadModel,
  AttributeValuesTable,
} from './attribute-values.table';
import { createAttributeValuesTables } from './attribute-values.schema';
import { heldValues } from './held-attribute-values';

const CHUNK = 200;

/**
 * Value distributions of contact attributes (see `heldValues` for what counts). Each contact is
 * folded with the domain's own `evolve` into this projection's `attribute_values_contacts`, and
 * the counts move by the difference between the values the contact held before the batch and
 * after it. The fold, the counts and the checkpoint commit in one transaction; the stored stream
 * revision makes an event delivered twice (at-least-once) a no-op, so counts stay exact.
 *
 * A merge needs no special case: the source's `ContactMergedInto` closes it (its values leave)
 * and the target's `LeadMergeAbsorbed` copies attributes into it (its new values arrive), each on
 * its own stream.
 */
export const attributeValuesProjection = defineProjection<AttributeValuesReadModel>({
  name: 'attribute_values',
  version: 1,
  eventTypes: CONTACTS_PROJECTION_EVENT_TYPES,
  tables: ['attribute_values', 'attribute_values_totals', 'attribute_values_contacts'],
  migrations: [{ name: '001_attribute_values', up: createAttributeValuesTables }],
  async apply(events, tx) {
    const byContact = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const list = byContact.get(event.streamId);
      if (list) list.push(event);
      else byContact.set(event.streamId, [event]);
    }
    const contacts = [...byContact.values()].map((list) => contactOf(list[0]!));
    const stored = await loadContacts(tx, contacts);
    const deltas = new CountDeltas();
    const writes: AttributeValuesContactTable[] = [];
    for (const contactEvents of byContact.values()) {
      const { workspaceId, contactId } = contactOf(contactEvents[0]!);
      const row = stored.get(contactKey(workspaceId, contactId));
      const before = row ? storedState(row) : undefined;
      let state: ContactState = before ?? { status: 'none' };
      const storedRevision = row ? Number(row.revision) : -1;
      let revision = storedRevision;
      for (const event of contactEvents) {
        if (Number(event.revision) <= revision) continue;
        state = evolve(state, toContactEvent(event));
        revision = Number(event.revision);
      }
      // Nothing to store: no value held, and no revision worth guarding (a replay folds to `none` again).
      if (revision === storedRevision || state.status === 'none') continue;
      for (const held of heldValues(before ?? { status: 'none' }))
        deltas.add(workspaceId, held, -1);
      for (const held of heldValues(state)) deltas.add(workspaceId, held, +1);
      writes.push({
        workspace_id: workspaceId,
        contact_id: contactId,
        state: serializeState(state),
        revision,
      });
    }
    for (let index = 0; index < writes.length; index += CHUNK) {
      await tx
        .insertInto('attribute_values_contacts')
        .values(writes.slice(index, index + CHUNK))
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'contact_id']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            revision: eb.ref('excluded.revision'),
          })),
        )
        .execute();
    }
    await applyCountDeltas(tx, deltas);
  },
});

interface ContactRef {
  readonly workspaceId: string;
  readonly contactId: string;
}

const contactOf = (event: RecordedEvent): ContactRef => {
  const data = event.data as { contactId: string; workspaceId: string };
  return { workspaceId: data.workspaceId, contactId: data.contactId };
};

const contactKey = (workspaceId: string, contactId: string): string =>
  JSON.stringify([workspaceId, contactId]);

async function loadContacts(
  tx: Transaction<AttributeValuesReadModel>,
  contacts: readonly ContactRef[],
): Promise<Map<string, AttributeValuesContactTable>> {
  const rows = new Map<string, AttributeValuesContactTable>();
  for (const [workspaceId, ids] of groupBy(contacts, (contact) => contact.workspaceId)) {
    for (let index = 0; index < ids.length; index += CHUNK) {
      const found = await tx
        .selectFrom('attribute_values_contacts')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where(
          'contact_id',
          'in',
          ids.slice(index, index + CHUNK).map((contact) => contact.contactId),
        )
        .execute();
      for (const row of found) rows.set(contactKey(row.workspace_id, row.contact_id), row);
    }
  }
  return rows;
}

/**
 * Only a live contact's state is kept: a merged or deleted contact holds no values and `evolve`
 * changes it no further, so `null` stands for it (and keeps no PII of a deleted contact).
 * `dataEventKeys` is the decider's deduplication memory, not an attribute: it is not stored.
 */
function serializeState(state: ContactState): string | null {
  if (!isLive(state)) return null;
  const { dataEventKeys: _dedupe, ...rest } = state;
  return JSON.stringify(rest);
}

/** The stored fold; a closed contact reads as deleted, which every later event leaves as is. */
function storedState(row: AttributeValuesContactTable): ContactState {
  if (row.state === null) {
    return { status: 'deleted', id: row.contact_id, workspace_id: row.workspace_id, deletedAt: 0 };
  }
  const live = JSON.parse(row.state) as Omit<LiveContact, 'dataEventKeys'>;
  return { ...live, dataEventKeys: new Set() };
}

/** Net count changes of a batch, by workspace, attribute and value. */
class CountDeltas {
  readonly byAttribute = new Map<
    string,
    { ws: string; attribute: string; values: Map<string, number> }
  >();

  add(workspaceId: string, held: { attribute: string; value: string }, delta: number): void {
    const key = JSON.stringify([workspaceId, held.attribute]);
    let entry = this.byAttribute.get(key);
    if (!entry) {
      entry = { ws: workspaceId, attribute: held.attribute, values: new Map() };
      this.byAttribute.set(key, entry);
    }
    entry.values.set(held.value, (entry.values.get(held.value) ?? 0) + delta);
  }
}

/**
 * Reads the current count of every touched value, writes the new ones (a value nobody holds
 * loses its row) and moves the attribute's totals by the same difference.
 */
async function applyCountDeltas(
  tx: Transaction<AttributeValuesReadModel>,
  deltas: CountDeltas,
): Promise<void> {
  for (const { ws, attribute, values } of deltas.byAttribute.values()) {
    const changed = [...values].filter(([, delta]) => delta !== 0);
    if (changed.length === 0) continue;
    const current = new Map<string, number>();
    for (let index = 0; index < changed.length; index += CHUNK) {
      const found = await tx
        .selectFrom('attribute_values')
        .select(['value', 'count'])
        .where('workspace_id', '=', ws)
        .where('attribute', '=', attribute)
        .where(
          'value',
          'in',
          changed.slice(index, index + CHUNK).map(([value]) => value),
        )
        .execute();
      for (const row of found) current.set(row.value, Number(row.count));
    }
    const upserts: AttributeValuesTable[] = [];
    const removals: string[] = [];
    let contactDelta = 0;
    let valueDelta = 0;
    for (const [value, delta] of changed) {
      const before = current.get(value) ?? 0;
      const after = before + delta;
      contactDelta += delta;
      if (after > 0) upserts.push({ workspace_id: ws, attribute, value, count: after });
      else if (before > 0) removals.push(value);
      if (before <= 0 && after > 0) valueDelta += 1;
      if (before > 0 && after <= 0) valueDelta -= 1;
    }
    for (let index = 0; index < upserts.length; index += CHUNK) {
      await tx
        .insertInto('attribute_values')
        .values(upserts.slice(index, index + CHUNK))
        .onConflict((conflict) =>
          conflict
            .columns(['workspace_id', 'attribute', 'value'])
            .doUpdateSet((eb) => ({ count: eb.ref('excluded.count') })),
        )
        .execute();
    }
    for (let index = 0; index < removals.length; index += CHUNK) {
      await tx
        .deleteFrom('attribute_values')
        .where('workspace_id', '=', ws)
        .where('attribute', '=', attribute)
        .where('value', 'in', removals.slice(index, index + CHUNK))
        .execute();
    }
    await tx
      .insertInto('attribute_values_totals')
      .values({ workspace_id: ws, attribute, contact_count: contactDelta, value_count: valueDelta })
      .onConflict((conflict) =>
        conflict.columns(['workspace_id', 'attribute']).doUpdateSet((eb) => ({
          contact_count: eb(
            'attribute_values_totals.contact_count',
            '+',
            eb.ref('excluded.contact_count'),
          ),
          value_count: eb(
            'attribute_values_totals.value_count',
            '+',
            eb.ref('excluded.value_count'),
          ),
        })),
      )
      .execute();
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
