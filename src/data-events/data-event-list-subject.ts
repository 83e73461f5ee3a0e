import { HttpProblem } from '../shared/http/intercom-error';
import { isStorableText, unstorableTextMessage } from '../shared/storable-text';

/** The parameters `GET /events` names a contact by (`intercom_user_id` follows merge links). */
export const SUBJECT_PARAMETERS = ['intercom_user_id', 'user_id', 'email'] as const;

export type SubjectParameter = (typeof SUBJECT_PARAMETERS)[number];

/** Whose data events `GET /events` lists. */
export interface DataEventListSubject {
  readonly by: SubjectParameter;
  readonly value: string;
  /** Where the request gave it, for a refusal to name: `user_id`, or `filter.user_id`. */
  readonly field: string;
}

export type SubjectQuery = Readonly<Partial<Record<SubjectParameter | 'filter', string>>>;

const FILTER_SHAPE =
  'filter must be a JSON object holding one of intercom_user_id, user_id, email, as a string';

/**
 * The contact a list is of: named by exactly one parameter, or by `filter`, a JSON object of one
 * of them (`{"user_id":"25"}`), which is how the SDK's `unstable.dataEvents.lisDataEvents` sends
 * it. A filter beside a parameter is refused even when both name the same contact: which one
 * was meant cannot be told in general, and a request is read one way only.
 */
export function dataEventListSubjectOf(query: SubjectQuery): DataEventListSubject {
  const given = SUBJECT_PARAMETERS.filter((parameter) => query[parameter] !== undefined);
  if (query.filter !== undefined) {
    if (given[0] !== undefined)
      throw HttpProblem.of(
        400,
        'parameter_invalid',
        `filter and ${given[0]} both name the contact: give one of them`,
        'filter',
      );
    return subjectOfFilter(query.filter);
  }
  const [by] = given;
  const value = by === undefined ? undefined : query[by];
  // None given is a required parameter left out, as `POST /events` answers its own.
  if (by === undefined || value === undefined)
    throw HttpProblem.of(
      400,
      'parameter_not_found',
      'One of intercom_user_id, user_id, email is required',
      'intercom_user_id',
    );
  if (given[1] !== undefined)
    throw HttpProblem.of(
      400,
      'parameter_invalid',
      'Exactly one of intercom_user_id, user_id, email is required',
      given[1],
    );
  return { by, value, field: by };
}

function subjectOfFilter(text: string): DataEventListSubject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw HttpProblem.of(400, 'parameter_invalid', `${FILTER_SHAPE}; it is not JSON`, 'filter');
  }
  const entries =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? Object.entries(parsed as Readonly<Record<string, unknown>>)
      : [];
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined)
    throw HttpProblem.of(400, 'parameter_invalid', FILTER_SHAPE, 'filter');
  const [key, value] = entry;
  const by = SUBJECT_PARAMETERS.find((parameter) => parameter === key);
  if (by === undefined || typeof value !== 'string')
    throw HttpProblem.of(400, 'parameter_invalid', FILTER_SHAPE, 'filter');
  // JSON escapes reach what the URL's own check refuses (NUL) and text no store compares.
  if (!isStorableText(value))
    throw HttpProblem.of(400, 'parameter_invalid', unstorableTextMessage(`filter.${by}`), 'filter');
  return { by, value, field: `filter.${by}` };
}
