import { hash } from 'node:crypto';

/**
 * The contact id of the messenger visitor `visitorUserId` (the messenger's anonymous id). It is
 * derived, not stored: every process and every retry maps a visitor id to the same contact without
 * a lookup table or a race between two first sightings, and the id keeps working after the
 * visitor became a lead or user or was merged (the merge link is followed from it).
 *
 * A browser keeps its visitor id after its contact was deleted (or merged into a user deleted
 * since): the id then starts a new visitor, the next `generation` (see
 * `ContactLocator.locateSession`).
 */
export function visitorContactId(
  workspaceId: string,
  visitorUserId: string,
  generation = 0,
): string {
  const session = generation === 0 ? visitorUserId : `${visitorUserId}\u0000${generation}`;
  return hash('sha256', `${workspaceId}\u0000visitor\u0000${session}`, 'hex').slice(0, 24);
}
