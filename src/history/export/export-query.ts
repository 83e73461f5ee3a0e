import { MAX_LOG_POSITION } from '../../shared/event-store/event-store.port';
import { HttpProblem } from '../../shared/http/intercom-error';
import { EXPORTED_EVENT_TYPES } from './exported-event';

/** What `GET /export/events` exports of the workspace's log. */
export interface ExportSelection {
  /** Event time, unix seconds, inclusive. */
  readonly from?: number;
  /** Event time, unix seconds, inclusive. */
  readonly to?: number;
  /** Log position, exclusive: events after it (a position a previous export ended at). */
  readonly afterPosition?: bigint;
  /** Log position, inclusive. */
  readonly toPosition?: bigint;
  /** Event types; all of them when absent. */
  readonly types?: readonly string[];
}

export const EXPORT_QUERY_PARAMETERS = [
  'from',
  'to',
  'after_position',
  'to_position',
  'type',
] as const;

type ExportQuery = Readonly<
  Partial<Record<(typeof EXPORT_QUERY_PARAMETERS)[number], string | readonly string[]>>
>;

const KNOWN_TYPES: ReadonlySet<string> = new Set(EXPORTED_EVENT_TYPES);

/** Up to 12 digits: unix seconds through year 33658, as `as_of` takes them. */
const UNIX_SECONDS = /^\d{1,12}$/;
/** A position as `X-Position` gives it: 39 digits hold EventStoreDB's 128-bit ones. */
const POSITION = /^\d{1,39}$/;

const invalid = (field: string, message: string): HttpProblem =>
  HttpProblem.of(400, 'parameter_invalid', message, field);

/** The query of `GET /export/events`, or a 400 naming the parameter at fault. */
export function exportSelectionOf(query: ExportQuery): ExportSelection {
  const from = single(query, 'from', UNIX_SECONDS, 'an instant in unix seconds');
  const to = single(query, 'to', UNIX_SECONDS, 'an instant in unix seconds');
  const after = single(query, 'after_position', POSITION, 'a log position');
  const until = single(query, 'to_position', POSITION, 'a log position');
  if (from !== undefined && to !== undefined && Number(to) < Number(from))
    throw invalid('to', 'to must not be before from');
  if (after !== undefined && BigInt(after) > MAX_LOG_POSITION)
    throw invalid('after_position', 'after_position must be a log position');
  if (until !== undefined && BigInt(until) > MAX_LOG_POSITION)
    throw invalid('to_position', 'to_position must be a log position');
  const types = typesOf(query.type);
  return {
    ...(from !== undefined ? { from: Number(from) } : {}),
    ...(to !== undefined ? { to: Number(to) } : {}),
    ...(after !== undefined ? { afterPosition: BigInt(after) } : {}),
    ...(until !== undefined ? { toPosition: BigInt(until) } : {}),
    ...(types !== undefined ? { types } : {}),
  };
}

function single(
  query: ExportQuery,
  name: 'from' | 'to' | 'after_position' | 'to_position',
  pattern: RegExp,
  what: string,
): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    throw invalid(name, `${name} must be ${what} (decimal digits)`);
  return value;
}

/**
 * `type`, a comma-separated list of the types the export holds (given once, as every query
 * parameter of the API is: a repeated one is refused before the route sees it).
 */
function typesOf(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid('type', 'type is given more than once');
  const types = value.split(',');
  for (const type of types) {
    if (!KNOWN_TYPES.has(type)) {
      throw invalid(
        'type',
        type === ''
          ? 'type must name an event type, not be empty'
          : `type ${JSON.stringify(type)} is no event type the export holds`,
      );
    }
  }
  return [...new Set(types)];
}

/** Whether an event of `type` at `occurredAt` (unix ms) and `position` is selected. */
export function isSelected(
  selection: ExportSelection,
  event: { readonly type: string; readonly position: bigint; readonly occurredAt: number },
): boolean {
  const seconds = Math.floor(event.occurredAt / 1000);
  return (
    (selection.from === undefined || seconds >= selection.from) &&
    (selection.to === undefined || seconds <= selection.to) &&
    (selection.afterPosition === undefined || event.position > selection.afterPosition) &&
    (selection.toPosition === undefined || event.position <= selection.toPosition) &&
    (selection.types === undefined || selection.types.includes(event.type))
  );
}
