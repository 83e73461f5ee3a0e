/**
 * An ingestion item was processed without leaving an event on a contact stream (a throttled
 * sighting, a data event already tracked, an update that changed nothing, or an effect recorded
 * through a workflow whose events carry no id of the item). It is the item's proof of completion:
 * its id is the item's completion id and its stream is named after it, so a retry of the item
 * finds it and is reported `duplicate`.
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
