import type { CustomAttributeValue } from '../../src/contacts/domain/contact.attributes';
import type { ContactState, LiveContact } from '../../src/contacts/domain/contact.state';
import { emailDomain } from '../contacts/contacts.projection';

export const SECONDS_PER_DAY = 86_400;

/**
 * Standard dates count by UTC day (the value is that day's midnight, in unix seconds), not by
 * second: a second-precision timestamp is held by one contact, so its distribution would be as
 * many rows as contacts, all with count 1, and `updated_at`/`last_seen_at` would move a row on
 * almost every event. A day is also what search's date `=` matches.
 */
export const dayOf = (at: number): number => Math.floor(at / SECONDS_PER_DAY) * SECONDS_PER_DAY;

const day = (at: number | null): number | null => (at === null ? null : dayOf(at));

type StandardValue = string | number | boolean | null;

/**
 * The standard attributes whose values are kept, by data attribute `full_name`: the searchable
 * fields of api.md except `id` (unique per contact, so no distribution) and `segment_id`.
 */
const STANDARD_VALUES = {
  role: (contact) => contact.status,
  name: (contact) => contact.name,
  email: (contact) => contact.email,
  email_domain: (contact) => emailDomain(contact.email),
  phone: (contact) => contact.phone,
  external_id: (contact) => contact.external_id,
  owner_id: (contact) => contact.owner_id,
  browser: (contact) => contact.browser,
  os: (contact) => contact.os,
  language_override: (contact) => contact.language_override,
  'location.country': (contact) => contact.location.country,
  'location.region': (contact) => contact.location.region,
  'location.city': (contact) => contact.location.city,
  unsubscribed_from_emails: (contact) => contact.unsubscribed_from_emails,
  has_hard_bounced: (contact) => contact.has_hard_bounced,
  marked_email_as_spam: (contact) => contact.marked_email_as_spam,
  created_at: (contact) => day(contact.created_at),
  updated_at: (contact) => day(contact.updated_at),
  signed_up_at: (contact) => day(contact.signed_up_at),
  last_seen_at: (contact) => day(contact.last_seen_at),
  last_replied_at: (contact) => day(contact.last_replied_at),
  last_contacted_at: (contact) => day(contact.last_contacted_at),
} as const satisfies Readonly<Record<string, (contact: LiveContact) => StandardValue>>;

/** `full_name`s of the standard attributes this read model keeps values for. */
export const STANDARD_VALUE_ATTRIBUTES: ReadonlySet<string> = new Set(Object.keys(STANDARD_VALUES));

/** Custom attributes are keyed by their `full_name`; a custom name never contains a dot. */
export const customAttributeKey = (name: string): string => `custom_attributes.${name}`;

/** The value column's form of a value: JSON text, so its type survives the round trip. */
export const encodeValue = (value: StandardValue | CustomAttributeValue): string =>
  JSON.stringify(value);

export const decodeValue = (text: string): string | number | boolean =>
  JSON.parse(text) as string | number | boolean;

/** One value a contact holds: `attribute` is the full name, `value` the encoded value. */
export interface HeldValue {
  readonly attribute: string;
  readonly value: string;
}

/**
 * The values a contact contributes to the counts, as a list: the definition the projection's
 * `forEachHeldValueChange` keeps to (its spec compares the two). Only leads and users count (the
 * contacts that `GET /contacts` lists and search finds, archived ones included): visitors are not
 * contacts in the Contacts API, and merged or deleted contacts hold nothing. An attribute without a value
 * (`null`) contributes nothing. Custom values are kept exactly, dates included: the projection
 * does not read attribute definitions (whose `data_type` may even change), so it cannot tell a
 * date from a number.
 */
export function heldValues(state: ContactState): HeldValue[] {
  if (!holdsValues(state)) return [];
  const held: HeldValue[] = [];
  for (const [attribute, read] of Object.entries(STANDARD_VALUES)) {
    const value = (read as (contact: LiveContact) => StandardValue)(state);
    if (value !== null) held.push({ attribute, value: encodeValue(value) });
  }
  for (const [name, value] of Object.entries(state.custom_attributes)) {
    if (value !== null)
      held.push({ attribute: customAttributeKey(name), value: encodeValue(value) });
  }
  return held;
}

/**
 * Calls `changed` for each attribute whose held value (encoded; null: none) differs between
 * `before` and `after`: what `heldValues` of the two states differ by. A value kept as it was is
 * not encoded: most of a contact's values, on most events.
 */
export function forEachHeldValueChange(
  before: ContactState,
  after: ContactState,
  changed: (attribute: string, left: string | null, arrived: string | null) => void,
): void {
  const was = holdsValues(before) ? before : undefined;
  const is = holdsValues(after) ? after : undefined;
  if (was === undefined && is === undefined) return;
  for (const attribute of STANDARD_ATTRIBUTES) {
    const read = STANDARD_VALUES[attribute] as (contact: LiveContact) => StandardValue;
    compare(attribute, was && read(was), is && read(is), changed);
  }
  const wasCustom = was?.custom_attributes ?? NO_CUSTOM_ATTRIBUTES;
  const isCustom = is?.custom_attributes ?? NO_CUSTOM_ATTRIBUTES;
  for (const name of Object.keys(isCustom)) {
    compare(customAttributeKey(name), own(wasCustom, name), isCustom[name], changed);
  }
  for (const name of Object.keys(wasCustom)) {
    if (!Object.hasOwn(isCustom, name)) {
      compare(customAttributeKey(name), wasCustom[name], undefined, changed);
    }
  }
}

const STANDARD_ATTRIBUTES = Object.keys(STANDARD_VALUES) as (keyof typeof STANDARD_VALUES)[];

const NO_CUSTOM_ATTRIBUTES: Readonly<Record<string, CustomAttributeValue>> = {};

/** Not `record[name]`: a custom attribute may be named like a property of every object. */
const own = <T>(record: Readonly<Record<string, T>>, name: string): T | undefined =>
  Object.hasOwn(record, name) ? record[name] : undefined;

const holdsValues = (state: ContactState): state is LiveContact =>
  state.status === 'lead' || state.status === 'user';

function compare(
  attribute: string,
  was: StandardValue | CustomAttributeValue | undefined,
  is: StandardValue | CustomAttributeValue | undefined,
  changed: (attribute: string, left: string | null, arrived: string | null) => void,
): void {
  if (was === is) return;
  const left = was === null || was === undefined ? null : encodeValue(was);
  const arrived = is === null || is === undefined ? null : encodeValue(is);
  if (left !== arrived) changed(attribute, left, arrived);
}
