import type { ContactState } from '../contacts/domain/contact.state';

/** A contact's stream folded, after following merge links from the id that was asked for. */
export interface LocatedContact {
  readonly workspaceId: string;
  /** The contact the links led to (the id asked for when it was not merged). */
  readonly contactId: string;
  readonly state: ContactState;
  /** Revision of the last event of `contactId`'s stream; undefined when it has none. */
  readonly revision: bigint | undefined;
  /** Every contact whose stream was read, the id asked for first. */
  readonly path: readonly string[];
  /** Whether an event with an id the caller looked for is on any stream of `path`. */
  readonly containsEvent: boolean;
  /** Which of the ids the caller looked for are on a stream of `path`. */
  readonly foundEventIds: ReadonlySet<string>;
}
