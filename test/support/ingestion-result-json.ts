/** An item's result in a `POST /messenger/events` answer, as the e2e specs read it. */
export interface IngestionResultJson {
  id: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  contact_id?: string;
  errors?: Array<{ code: string; message: string; field?: string }>;
}
