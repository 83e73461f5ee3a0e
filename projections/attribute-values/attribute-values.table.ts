/**
 * The attribute-values read model: for every tracked attribute of a workspace's leads and users,
 * each distinct value with the number of contacts holding it. Attribute names are the data
 * attributes' `full_name` (`email`, `location.country`, `custom_attributes.plan`); values are
 * JSON text (`"pro"`, `42`, `true`), so one column keeps strings, numbers and booleans apart and
 * reads back with its type.
 */
export interface AttributeValuesTable {
  workspace_id: string;
  attribute: string;
  value: string;
  /** Always positive: a value no contact holds any more loses its row. */
  count: number;
}

/** Per attribute: what the endpoint needs without summing every value row. */
export interface AttributeValueTotalsTable {
  workspace_id: string;
  attribute: string;
  /** Contacts holding some value (each contact holds at most one value per attribute). */
  contact_count: number;
  /** Rows of `attribute_values` for this attribute. */
  value_count: number;
}

/**
 * This projection's own fold of each contact, so it never depends on how far the contacts
 * projection (another transaction, another checkpoint) has got. `state` is the live contact as
 * JSON, or `null` once the contact is merged or deleted: a closed contact holds no values and no
 * later event changes that (the row stays as a tombstone so a replayed creation is ignored).
 */
export interface AttributeValuesContactTable {
  workspace_id: string;
  contact_id: string;
  state: string | null;
  /** Stream revision of the last applied event: makes re-applying an event a no-op. */
  revision: number;
}

export interface AttributeValuesReadModel {
  attribute_values: AttributeValuesTable;
  attribute_values_totals: AttributeValueTotalsTable;
  attribute_values_contacts: AttributeValuesContactTable;
}
