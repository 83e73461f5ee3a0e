import { ContactMerged } from '../contacts/domain/contact.errors';

/**
 * Runs of a request whose contact kept being merged between its lookup and its write. A contact
 * is merged once (again only after that merge was reverted), so a second run is already rare.
 */
const MAX_RUNS = 5;

/**
 * Runs `request` (look the contact up, merge links followed, then write to it) again when its
 * write finds the contact merged since the lookup: it then ends as the same request arriving just
 * after the merge does, on the contact the link leads to now (or refused as no visitor any more),
 * instead of `410 contact_merged`, which a client takes as final and drops the write.
 * `request` must look the contact up itself, so that the next run finds the merge link.
 */
export async function rerunIfMergedMeanwhile<T>(request: () => Promise<T>): Promise<T> {
  for (let run = 1; ; run += 1) {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof ContactMerged) || run >= MAX_RUNS) throw error;
    }
  }
}
