import type { IntercomErrorItem } from '../shared/http/intercom-error';

/** One entry of the `ingestion.result` response, in the order of the items. */
export interface IngestionResult {
  /** The item's idempotency key as sent (null when it had none). */
  readonly id: string | null;
  readonly status: 'accepted' | 'duplicate' | 'rejected';
  readonly contact_id?: string;
  readonly errors?: readonly IntercomErrorItem[];
}

export const accepted = (id: string, contactId: string): IngestionResult => ({
  id,
  status: 'accepted',
  contact_id: contactId,
});

export const duplicate = (id: string, contactId: string): IngestionResult => ({
  id,
  status: 'duplicate',
  contact_id: contactId,
});

export const rejected = (
  id: string | null,
  errors: readonly IntercomErrorItem[],
): IngestionResult => ({ id, status: 'rejected', errors });
