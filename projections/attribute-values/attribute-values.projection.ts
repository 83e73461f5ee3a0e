import type { Kysely, Transaction } from 'kysely';
import { toContactEvent } from '../../src/contacts/contact-event-codec';
import { evolve } from '../../src/contacts/domain/contact.evolve';
import {
  isLive,
  type ContactState,
  type LiveContact,
} from '../../src/contacts/domain/contact.state';
import { defineProjection, type TableResolver } from '../../src/projection-runner/projection';
import type { RecordedEvent } from '../../src/shared/event-store/event-store.port';
import { CONTACTS_PROJECTION_EVENT_TYPES } from '../contacts/contacts.projection';
import { insertRows, quoted, upsertClause } from '../shared/raw-insert';
import type {
  AttributeValuesContactTable,
  AttributeValuesReadModel,
  AttributeValuesTable,
  AttributeValueTotalsTable,
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
  async apply(events, tx, tables) {
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
    const db = tx as unknown as Kysely<unknown>;
    await insertRows(
      db,
      tables('attribute_values_contacts'),
      ['workspace_id', 'contact_id', 'state', 'revision'],
      writes,
      upsertClause(['workspace_id', 'contact_id'], ['state', 'revision']),
    );
    await applyCountDeltas(tx, tables, deltas);
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
  /** Keyed by workspace, attribute and value joined with NUL (which none of them contains). */
  readonly byValue = new Map<string, AttributeValuesTable>();

  add(workspaceId: string, held: { attribute: string; value: string }, delta: number): void {
    const key = `${workspaceId}\u0000${held.attribute}\u0000${held.value}`;
    const entry = this.byValue.get(key);
    if (entry) entry.count += delta;
    else
      this.byValue.set(key, {
        workspace_id: workspaceId,
        attribute: held.attribute,
        value: held.value,
        count: delta,
      });
  }
}

interface WrittenCount {
  workspace_id: string;
  attribute: string;
  value: string;
  count: number | string;
}

/**
 * Adds every non-zero delta to its value's count in one upsert that returns the new counts, so
 * no count is read first (the read picked the covering `_top` index on SQLite and walked every
 * value of the attribute: the projection's main cost on a large workspace). The count before is
 * the count after minus the delta. A value nobody holds any more loses its row, and the
 * attributes' totals move by the same differences, all attributes in one statement.
 */
async function applyCountDeltas(
  tx: Transaction<AttributeValuesReadModel>,
  tables: TableResolver<AttributeValuesReadModel>,
  deltas: CountDeltas,
): Promise<void> {
  const db = tx as unknown as Kysely<unknown>;
  const changed = [...deltas.byValue.values()].filter((entry) => entry.count !== 0);
  if (changed.length === 0) return;
  const values = tables('attribute_values');
  const written = await insertRows<AttributeValuesTable, WrittenCount>(
    db,
    values,
    ['workspace_id', 'attribute', 'value', 'count'],
    changed,
    `ON CONFLICT ("workspace_id", "attribute", "value") DO UPDATE SET "count" = ${quoted(values)}."count" + excluded."count"`,
    'RETURNING "workspace_id", "attribute", "value", "count"',
  );
  const totals = new Map<string, AttributeValueTotalsTable>();
  const removals = new Map<string, { ws: string; attribute: string; values: string[] }>();
  for (const row of written) {
    const attributeKey = `${row.workspace_id}\u0000${row.attribute}`;
    const delta = deltas.byValue.get(`${attributeKey}\u0000${row.value}`)!.count;
    const after = Number(row.count);
    const before = after - delta;
    let total = totals.get(attributeKey);
    if (!total) {
      total = {
        workspace_id: row.workspace_id,
        attribute: row.attribute,
        contact_count: 0,
        value_count: 0,
      };
      totals.set(attributeKey, total);
    }
    total.contact_count += delta;
    if (before <= 0 && after > 0) total.value_count += 1;
    if (before > 0 && after <= 0) total.value_count -= 1;
    if (after <= 0) {
      const removal = removals.get(attributeKey);
      if (removal) removal.values.push(row.value);
      else
        removals.set(attributeKey, {
          ws: row.workspace_id,
          attribute: row.attribute,
          values: [row.value],
        });
    }
  }
  for (const { ws, attribute, values: removed } of removals.values()) {
    for (let index = 0; index < removed.length; index += CHUNK) {
      await tx
        .deleteFrom('attribute_values')
        .where('workspace_id', '=', ws)
        .where('attribute', '=', attribute)
        .where('value', 'in', removed.slice(index, index + CHUNK))
        .execute();
    }
  }
  const totalsTable = tables('attribute_values_totals');
  await insertRows(
    db,
    totalsTable,
    ['workspace_id', 'attribute', 'contact_count', 'value_count'],
    [...totals.values()],
    `ON CONFLICT ("workspace_id", "attribute") DO UPDATE SET ` +
      `"contact_count" = ${quoted(totalsTable)}."contact_count" + excluded."contact_count", ` +
      `"value_count" = ${quoted(totalsTable)}."value_count" + excluded."value_count"`,
  );
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
