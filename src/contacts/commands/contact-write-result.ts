import type { LiveContact } from '../domain/contact.state';

/** What a contact write answers: the contact to read back and the position to wait for. */
export interface ContactWriteResult {
  readonly contactId: string;
  /** Position of the last event written; undefined when nothing changed. */
  readonly position: bigint | undefined;
  /**
   * The contact as this write left it (the fold its append was checked against), when the write
   * is to one stream and leaves a lead or user: the response can be built from it instead of
   * read back from the projection, whose row for it is the same `liveRow`.
   */
  readonly contact?: LiveContact;
}
