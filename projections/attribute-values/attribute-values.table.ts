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

/** Tables of the contacts projection, which keeps the counts as it folds each contact. */
export interface AttributeValuesReadModel {
  contacts_attribute_values: AttributeValuesTable;
  contacts_attribute_values_totals: AttributeValueTotalsTable;
}
