import type { Kysely, Transaction } from 'kysely';
import type { ContactState } from '../../src/contacts/domain/contact.state';
import type { TableResolver } from '../../src/projection-runner/projection';
import { insertRows, quoted } from '../shared/raw-insert';
import type { ContactsReadModel } from '../contacts/contacts.table';
import type { AttributeValuesTable, AttributeValueTotalsTable } from './attribute-values.table';
import { forEachHeldValueChange } from './held-attribute-values';

const CHUNK = 200;

/**
 * The count changes of one contact going from `before` to `after` (see `heldValues` for what
 * counts): a value it holds in both states moves nothing.
 */
export function addHeldValueChanges(
  deltas: CountDeltas,
  workspaceId: string,
  before: ContactState,
  after: ContactState,
): void {
  forEachHeldValueChange(before, after, (attribute, left, arrived) => {
    if (left !== null) deltas.add(workspaceId, { attribute, value: left }, -1);
    if (arrived !== null) deltas.add(workspaceId, { attribute, value: arrived }, +1);
  });
}

/** Net count changes of a batch, by workspace, attribute and value. */
export class CountDeltas {
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
export async function applyCountDeltas(
  tx: Transaction<ContactsReadModel>,
  tables: TableResolver<ContactsReadModel>,
  deltas: CountDeltas,
): Promise<void> {
  const db = tx as unknown as Kysely<unknown>;
  const changed = [...deltas.byValue.values()].filter((entry) => entry.count !== 0);
  if (changed.length === 0) return;
  const values = tables('contacts_attribute_values');
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
        .deleteFrom('contacts_attribute_values')
        .where('workspace_id', '=', ws)
        .where('attribute', '=', attribute)
        .where('value', 'in', removed.slice(index, index + CHUNK))
        .execute();
    }
  }
  const totalsTable = tables('contacts_attribute_values_totals');
  const totalsAfter = await insertRows<
    AttributeValueTotalsTable,
    { workspace_id: string; attribute: string; contact_count: number | string }
  >(
    db,
    totalsTable,
    ['workspace_id', 'attribute', 'contact_count', 'value_count'],
    [...totals.values()],
    `ON CONFLICT ("workspace_id", "attribute") DO UPDATE SET ` +
      `"contact_count" = ${quoted(totalsTable)}."contact_count" + excluded."contact_count", ` +
      `"value_count" = ${quoted(totalsTable)}."value_count" + excluded."value_count"`,
    'RETURNING "workspace_id", "attribute", "contact_count"',
  );
  // An attribute nobody holds any more loses its totals as its values lose theirs: a rebuild
  // whose batch nets the same changes to nothing writes no row, and verify compares the two.
  for (const row of totalsAfter) {
    if (Number(row.contact_count) > 0) continue;
    await tx
      .deleteFrom('contacts_attribute_values_totals')
      .where('workspace_id', '=', row.workspace_id)
      .where('attribute', '=', row.attribute)
      .execute();
  }
}
