/**
 * An ingestion item was processed: the item's proof of completion under its key, whichever
 * contact it ended on. Its stream is named after the item's completion id, so the key sent again
 * finds it and is reported `duplicate`. When the item left no event on a contact stream (a
 * throttled sighting, a data event already tracked, an update that changed nothing, or an effect
 * recorded through a workflow whose events carry no id of the item), its id is the completion id.
 */
export type IngestionItemRecorded = {
  readonly type: 'IngestionItemRecorded';
  readonly data: {
    readonly workspaceId: string;
    /** The producer's idempotency key. */
    readonly itemId: string;
    /** The contact the item addressed. */
    readonly contactId: string;
  };
};
