/** What a contact write answers: the contact to read back and the position to wait for. */
export interface ContactWriteResult {
  readonly contactId: string;
  /** Position of the last event written; undefined when nothing changed. */
  readonly position: bigint | undefined;
}
