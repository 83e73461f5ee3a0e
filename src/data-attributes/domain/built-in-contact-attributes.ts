import { STANDARD_ATTRIBUTE_NAMES } from '../../contacts/domain/contact.attributes';
import {
  MESSENGER_ATTRIBUTE_FIELDS,
  MESSENGER_IDENTITY_FIELDS,
} from '../../messenger/domain/messenger-item';
import type { DataType } from './data-attribute.types';

/** A standard contact field as `GET /data_attributes` lists it (`custom: false`, no id). */
export interface BuiltInDataAttribute {
  readonly name: string;
  /** Differs from `name` only for nested fields (`location.city`). */
  readonly full_name: string;
  readonly label: string;
  readonly description: string;
  readonly data_type: DataType;
  readonly api_writable: boolean;
  readonly ui_writable: boolean;
  readonly messenger_writable: boolean;
}

/** What messenger items write: the fields their `attributes` take, and the identities they carry. */
const MESSENGER_WRITTEN_FIELDS: ReadonlySet<string> = new Set([
  ...MESSENGER_ATTRIBUTE_FIELDS,
  ...MESSENGER_IDENTITY_FIELDS,
]);

const field = (
  name: string,
  label: string,
  description: string,
  data_type: DataType,
  api_writable: boolean,
  full_name = name,
): BuiltInDataAttribute => ({
  name,
  full_name,
  label,
  description,
  data_type,
  api_writable,
  ui_writable: api_writable,
  messenger_writable: MESSENGER_WRITTEN_FIELDS.has(name),
});

/** The contact fields of Intercom's `contact` object that this service keeps, in Intercom's order. */
export const BUILT_IN_CONTACT_ATTRIBUTES: readonly BuiltInDataAttribute[] = [
  field('id', 'ID', 'The Intercom defined id representing the contact', 'string', false),
  field('role', 'Role', 'The role of the contact: user or lead', 'string', true),
  field(
    'external_id',
    'User ID',
    'A unique identifier for the contact provided by the workspace',
    'string',
    true,
  ),
  field('email', 'Email', "The contact's email address", 'string', true),
  field(
    'email_domain',
    'Email domain',
    "The domain of the contact's email address",
    'string',
    false,
  ),
  field('phone', 'Phone', "The contact's phone number", 'string', true),
  field('name', 'Name', "The contact's name", 'string', true),
  field('avatar', 'Avatar', "An image URL containing the contact's avatar", 'string', true),
  field('owner_id', 'Owner', 'The id of the teammate who owns the contact', 'integer', true),
  field('created_at', 'First seen', 'The time the contact was added', 'date', false),
  field('updated_at', 'Last updated', 'The time the contact was last updated', 'date', false),
  field('signed_up_at', 'Signed up', 'The time the user signed up', 'date', true),
  field('last_seen_at', 'Last seen', 'The time the contact was last seen', 'date', true),
  field('last_replied_at', 'Last replied', 'The time the contact last messaged in', 'date', false),
  field(
    'last_contacted_at',
    'Last contacted',
    'The time the contact was last messaged',
    'date',
    false,
  ),
  field(
    'unsubscribed_from_emails',
    'Unsubscribed from emails',
    'Whether the contact unsubscribed from emails',
    'boolean',
    true,
  ),
  field(
    'has_hard_bounced',
    'Has hard bounced',
    'Whether an email to the contact hard bounced',
    'boolean',
    false,
  ),
  field(
    'marked_email_as_spam',
    'Marked email as spam',
    'Whether the contact marked an email as spam',
    'boolean',
    false,
  ),
  field(
    'language_override',
    'Language override',
    'The language the messenger uses for the contact',
    'string',
    true,
  ),
  field('browser', 'Browser', 'The browser the contact last used', 'string', false),
  field('browser_version', 'Browser version', 'The version of that browser', 'string', false),
  field('browser_language', 'Browser language', 'The language of that browser', 'string', false),
  field('os', 'OS', 'The operating system the contact last used', 'string', false),
  field(
    'country',
    'Country',
    'The country the contact was last seen in',
    'string',
    false,
    'location.country',
  ),
  field(
    'region',
    'Region',
    'The region the contact was last seen in',
    'string',
    false,
    'location.region',
  ),
  field('city', 'City', 'The city the contact was last seen in', 'string', false, 'location.city'),
];

/**
 * Top-level keys of Intercom's contact object (its OpenAPI schema and examples) that this service
 * shows empty or keeps under no attribute of its own: mobile SDK data, email engagement, push
 * messaging, subscriptions, and the contact's own fields besides its attributes.
 */
const OTHER_CONTACT_OBJECT_KEYS = [
  'type',
  'workspace_id',
  'archived',
  'last_email_opened_at',
  'last_email_clicked_at',
  'android_app_name',
  'android_app_version',
  'android_device',
  'android_os_version',
  'android_sdk_version',
  'android_last_seen_at',
  'ios_app_name',
  'ios_app_version',
  'ios_device',
  'ios_os_version',
  'ios_sdk_version',
  'ios_last_seen_at',
  'enabled_push_messaging',
  'custom_attributes',
  'tags',
  'notes',
  'companies',
  'social_profiles',
  'merge_history',
  'opted_in_subscription_types',
  'opted_out_subscription_types',
];

/**
 * Names a custom contact attribute may not take, since names are unique per model: the built-in
 * attributes' (`country` too, which `GET /data_attributes` lists by that name) and the top-level
 * keys of the contact object. Keys no request may hold (`isPrototypeKey`) are refused apart.
 */
export const RESERVED_CONTACT_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  ...BUILT_IN_CONTACT_ATTRIBUTES.map((attribute) => attribute.name),
  ...STANDARD_ATTRIBUTE_NAMES,
  ...OTHER_CONTACT_OBJECT_KEYS,
]);
