import { fieldPath } from '../../shared/json-path';
import type { ItemProblem } from './messenger-item';

/** ingestion.md: at most 500 items per request (and 1 MiB, the app's body limit). */
export const MAX_BATCH_ITEMS = 500;

export type ParsedBatch =
  | { readonly ok: true; readonly items: readonly unknown[] }
  | { readonly ok: false; readonly problems: readonly ItemProblem[] };

/**
 * Whether a request body is a batch at all. Only this refuses a request whole; the items inside
 * are validated one by one, so that a bad item never blocks the others.
 */
export function parseMessengerBatch(body: unknown): ParsedBatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return {
      ok: false,
      problems: [
        {
          code: 'parameter_invalid',
          message: 'The body must be {"events": [ … ]}',
          field: 'events',
        },
      ],
    };
  }
  const problems: ItemProblem[] = Object.keys(body)
    .filter((field) => field !== 'events')
    .map((key) => fieldPath('', key))
    .map((field) => ({ code: 'parameter_invalid', message: `Unknown field ${field}`, field }));
  const events = (body as { events?: unknown }).events;
  if (events === undefined || events === null) {
    problems.push({ code: 'parameter_not_found', message: 'events is required', field: 'events' });
  } else if (!Array.isArray(events)) {
    problems.push({
      code: 'parameter_invalid',
      message: 'events must be an array',
      field: 'events',
    });
  } else if (events.length > MAX_BATCH_ITEMS) {
    problems.push({
      code: 'parameter_invalid',
      message: `events holds ${events.length} items; at most ${MAX_BATCH_ITEMS} are allowed per request`,
      field: 'events',
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, items: events as unknown[] };
}
