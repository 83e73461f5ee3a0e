/**
 * A contact's lifecycle (see `ContactLifecycle`): when it first was each role, and whether it
 * converted (`0`/`1`, as both dialects store a flag), which the funnel counts by interval.
 */
export interface LifecycleContactsTable {
  workspace_id: string;
  contact_id: string;
  visitor_at: number | null;
  lead_at: number | null;
  user_at: number | null;
  from_visitor: number;
  from_lead: number;
}

export interface LifecycleReadModel {
  lifecycle_contacts: LifecycleContactsTable;
}
