/**
 * The data events read model (`POST /events`, `event.tracked`): one row per `DataEventTracked`.
 * `contact_id` is the contact the event counts for now: a merge moves the source's events to the
 * target, as domain.md asks; `source_contact_id` keeps the contact it was tracked on. A deleted
 * contact's rows are removed (metadata may hold PII).
 */
export interface DataEventsTable {
  workspace_id: string;
  /** The id of the `DataEventTracked` event: makes a replayed event a no-op. */
  event_id: string;
  contact_id: string;
  source_contact_id: string;
  name: string;
  /** Event time, unix seconds. */
  created_at: number;
  /** JSON object text in SQLite, `jsonb` in PostgreSQL. */
  metadata: string;
}

/**
 * One row per `DataEventSummaryReported` (`POST /events/summaries`): counts without the events,
 * added into a contact's summary, moved and removed with the contact as its data events are.
 */
export interface DataEventSummariesTable {
  workspace_id: string;
  /** The id of the `DataEventSummaryReported` event: makes a replayed event a no-op. */
  event_id: string;
  contact_id: string;
  name: string;
  count: number;
  /** Event times, unix seconds. */
  first_at: number;
  last_at: number;
}

export interface DataEventsReadModel {
  data_events: DataEventsTable;
  data_events_summaries: DataEventSummariesTable;
}
