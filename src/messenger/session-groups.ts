import { IDENTIFYING_TYPES, type MessengerItem } from './domain/messenger-item';

/** An item as the ingestion queues it: its keys, its own first and its session's second. */
export interface QueuedItem {
  readonly item: MessengerItem;
  readonly keys: readonly string[];
}

/**
 * The batch's items as the tasks they run in, in the order of their first item: alone, or, for
 * items that `apply` takes on a visitor session without identity work (`inSessionAlone`), with
 * the batch's other such items of that session, up to the next item that shares a queue with
 * them (which then runs after all of them, as it comes after them). An item whose id the batch
 * repeats, or whose key an earlier batch's item still holds, runs alone: it waits for that item,
 * then finds itself done.
 */
export function sessionGroups<Run extends QueuedItem>(
  runs: readonly Run[],
  isBusy: (key: string) => boolean,
): Run[][] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { item } of runs) (seen.has(item.id) ? repeated : seen).add(item.id);
  const tasks: Run[][] = [];
  const openGroups = new Map<string, Run[]>();
  for (const run of runs) {
    const [itemKey, sessionKey] = run.keys;
    if (
      inSessionAlone(run.item) &&
      sessionKey !== undefined &&
      !repeated.has(run.item.id) &&
      !isBusy(itemKey!)
    ) {
      const group = openGroups.get(sessionKey);
      if (group !== undefined) group.push(run);
      else {
        const created = [run];
        openGroups.set(sessionKey, created);
        tasks.push(created);
      }
      continue;
    }
    for (const key of run.keys) openGroups.delete(key);
    tasks.push([run]);
  }
  return tasks;
}

/**
 * An item that `apply` takes on the contact its visitor_id leads to, without identity work: no
 * contact_id, external_id or email, and neither a sign-up, a log-in nor an email supplied.
 */
const inSessionAlone = (item: MessengerItem): boolean =>
  item.visitorId !== undefined &&
  item.contactId === undefined &&
  item.externalId === undefined &&
  item.email === undefined &&
  !IDENTIFYING_TYPES.has(item.type) &&
  item.type !== 'email.supplied';
