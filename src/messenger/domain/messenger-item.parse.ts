import { MAX_FUTURE_SECONDS } from '../../contacts/domain/contact.decide';
import { fitsCharacters } from '../../shared/characters';
import { fieldPath } from '../../shared/json-path';
import {
  crowdedObjectMessage,
  crowdedObjectPath,
  MAX_BODY_DEPTH,
  tooDeepMemberPath,
} from '../../shared/json-limits';
import { prototypeKeyMessage, prototypeKeyPath } from '../../shared/prototype-keys';
import { unstorableTextMessage, unstorableTextPath } from '../../shared/storable-text';
import {
  isEmailAddress,
  isImageUrl,
  MAX_AVATAR_URL,
  type CustomAttributeValue,
  type JsonValue,
  type SeenContext,
  type UnixSeconds,
} from '../../contacts/domain/contact.attributes';
import {
  IDENTIFYING_TYPES,
  MESSENGER_ATTRIBUTE_FIELDS,
  MESSENGER_IDENTITY_FIELDS,
  MESSENGER_ITEM_TYPES,
  type ItemProblem,
  type MessengerAttributeField,
  type MessengerAttributes,
  type MessengerItemType,
  type ParsedItem,
} from './messenger-item';

const MAX_STRING = 255;
const MAX_URL = 2048;

const ITEM_FIELDS = new Set([
  'id',
  'type',
  'occurred_at',
  'visitor_id',
  'contact_id',
  'external_id',
  'email',
  'attributes',
  'context',
  'event_name',
  'metadata',
  'conversation_id',
]);

/** Fields that only some types read: on another type they would be dropped, so they are refused. */
const TYPE_SPECIFIC_FIELDS: ReadonlyArray<readonly [string, readonly MessengerItemType[]]> = [
  ['event_name', ['event.tracked']],
  ['metadata', ['event.tracked']],
  ['conversation_id', ['conversation.started', 'outbound.replied']],
];

const CONTEXT_STRINGS = [
  'browser',
  'browser_version',
  'browser_language',
  'os',
  'page_url',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
] as const;

const LOCATION_FIELDS = ['country', 'region', 'city'] as const;

/** Problems named per rejected item, at most. */
export const MAX_PROBLEMS_PER_ITEM = 10;

type PlainObject = Readonly<Record<string, unknown>>;

const isPlainObject = (value: unknown): value is PlainObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Validates one item of a batch on its own, naming every problem's field, so that a bad item is
 * rejected without touching the others. Pure: `now` is the server's time in unix seconds.
 */
export function parseMessengerItem(
  raw: unknown,
  options: { readonly now: UnixSeconds; readonly index: number },
): ParsedItem {
  const item = `events[${options.index}]`;
  const refusedWhole = (message: string, field = item): ParsedItem => ({
    ok: false,
    id: isPlainObject(raw) && typeof raw.id === 'string' ? raw.id : null,
    problems: [{ code: 'parameter_invalid', message, field }],
  });
  if (!isPlainObject(raw)) return refusedWhole('Each item must be a JSON object');
  // The body's envelope nests two levels (`events`, the item); nothing below walks a deeper item.
  // Named by the item's field that nests so deep, as a body's is, rather than a path 30 keys long.
  const tooDeep = tooDeepMemberPath(raw, MAX_BODY_DEPTH - 2);
  if (tooDeep !== undefined)
    return refusedWhole(
      `The item nests objects or arrays more than ${MAX_BODY_DEPTH - 2} levels deep, in ${tooDeep}`,
      tooDeep,
    );
  // One problem for the object, rather than one for each of its members.
  const crowdedObject = crowdedObjectPath(raw);
  if (crowdedObject !== undefined)
    return refusedWhole(crowdedObjectMessage(crowdedObject || item), crowdedObject || item);
  const problems: ItemProblem[] = [];
  // One problem per field, the first found: a field's fault is named once, not again by each
  // later check it also fails (a prototype key is no unknown field besides).
  const faulted = new Set<string>();
  const report = (code: ItemProblem['code'], field: string, message: string) => {
    if (faulted.has(field)) return;
    faulted.add(field);
    problems.push({ code, message, field });
  };
  const invalid = (field: string, message: string) => report('parameter_invalid', field, message);
  const missing = (field: string, message: string) => report('parameter_not_found', field, message);
  // Given, though perhaps refused: a field refused as sent is not also missing.
  const given = (field: string) => raw[field] !== undefined && raw[field] !== null;

  const prototypeKey = prototypeKeyPath(raw);
  if (prototypeKey !== undefined) invalid(prototypeKey, prototypeKeyMessage(prototypeKey));
  for (const key of Object.keys(raw)) {
    const field = fieldPath('', key);
    if (!ITEM_FIELDS.has(key)) invalid(field, `Unknown field ${field}`);
  }
  const unstorable = unstorableTextPath(raw);
  if (unstorable !== undefined) invalid(unstorable, unstorableTextMessage(unstorable));

  const text = (field: string, max = MAX_STRING): string | undefined => {
    const value = raw[field];
    if (value === undefined || value === null) return undefined;
    // Ids, identities and names: one of spaces only names nothing.
    if (typeof value !== 'string' || value.trim() === '' || !fitsCharacters(value, max)) {
      invalid(field, `${field} must be a non-blank string of at most ${max} characters`);
      return undefined;
    }
    return value;
  };

  const id = text('id');
  if (raw.id === undefined || raw.id === null) missing('id', 'id is required');

  let type: MessengerItemType | undefined;
  if (raw.type === undefined || raw.type === null) missing('type', 'type is required');
  else if (!(MESSENGER_ITEM_TYPES as readonly unknown[]).includes(raw.type)) {
    invalid('type', `type must be one of ${MESSENGER_ITEM_TYPES.join(', ')}`);
  } else type = raw.type as MessengerItemType;

  let occurredAt: UnixSeconds | undefined;
  const rawTime = raw.occurred_at;
  if (rawTime === undefined || rawTime === null) {
    missing('occurred_at', 'occurred_at is required');
  } else if (typeof rawTime !== 'number' || !Number.isSafeInteger(rawTime) || rawTime < 0) {
    invalid('occurred_at', 'occurred_at must be a unix timestamp in seconds');
  } else if (rawTime > options.now + MAX_FUTURE_SECONDS) {
    invalid('occurred_at', 'occurred_at is more than 5 minutes in the future');
  } else occurredAt = rawTime;

  const visitorId = text('visitor_id');
  const contactId = text('contact_id');
  const externalId = text('external_id');
  const email = text('email');
  if (email !== undefined && !isEmailAddress(email))
    invalid('email', 'email is not an email address');
  const eventName = text('event_name');
  if (eventName !== undefined && eventName.trim() === '')
    invalid('event_name', 'event_name must not be blank');
  const conversationId = text('conversation_id');
  const attributes = parseAttributes(raw.attributes, invalid);
  const context = parseContext(raw.context, invalid);
  const metadata = parseMetadata(raw.metadata, invalid);

  if (type !== undefined) {
    const identifying = IDENTIFYING_TYPES.has(type);
    if (!given('visitor_id') && !given('contact_id') && !given('external_id') && !given('email')) {
      missing('visitor_id', 'One of visitor_id, contact_id, external_id, email is required');
    } else if (identifying && !given('external_id') && !given('email')) {
      missing('external_id', `${type} needs the identity given: external_id or email`);
    }
    if (type === 'email.supplied') {
      if (!given('email')) missing('email', 'email.supplied needs email');
      if (!given('visitor_id') && !given('contact_id') && !given('external_id')) {
        missing(
          'visitor_id',
          'email.supplied needs who supplied it: visitor_id, contact_id or external_id',
        );
      }
    }
    if (type === 'contact.attributes_updated' && !given('attributes')) {
      missing('attributes', 'contact.attributes_updated needs attributes');
    }
    if (type === 'event.tracked' && !given('event_name')) {
      missing('event_name', 'event.tracked needs event_name');
    }
    for (const [field, types] of TYPE_SPECIFIC_FIELDS) {
      if (raw[field] !== undefined && raw[field] !== null && !types.includes(type))
        invalid(field, `${field} is not a field of ${type} (only of ${types.join(', ')})`);
    }
  }

  if (problems.length > 0 || id === undefined || type === undefined || occurredAt === undefined) {
    // The first few name what to mend; a batch of items each wrong in hundreds of ways would
    // otherwise answer megabytes of problems.
    const named = problems.slice(0, MAX_PROBLEMS_PER_ITEM);
    return { ok: false, id: typeof raw.id === 'string' ? raw.id : null, problems: named };
  }
  return {
    ok: true,
    item: {
      id,
      type,
      occurredAt,
      ...(visitorId !== undefined ? { visitorId } : {}),
      ...(contactId !== undefined ? { contactId } : {}),
      ...(externalId !== undefined ? { externalId } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(attributes !== undefined ? { attributes } : {}),
      ...(context !== undefined ? { context } : {}),
      ...(eventName !== undefined ? { eventName } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      ...(conversationId !== undefined ? { conversationId } : {}),
    },
  };
}

type Report = (field: string, message: string) => void;

/** Whether `value` may be written to an attribute named `name`; reports why not. */
type FieldCheck = (value: unknown, name: string, invalid: Report) => boolean;

const shortText: FieldCheck = (value, name, invalid) => {
  if (value === null || (typeof value === 'string' && fitsCharacters(value, MAX_STRING)))
    return true;
  invalid(name, `${name} must be a string of at most ${MAX_STRING} characters or null`);
  return false;
};

const imageUrl: FieldCheck = (value, name, invalid) => {
  if (value === null || isImageUrl(value)) return true;
  invalid(
    name,
    `${name} must be an absolute http or https URL of at most ${MAX_AVATAR_URL} characters, or null`,
  );
  return false;
};

const flag: FieldCheck = (value, name, invalid) => {
  if (typeof value === 'boolean') return true;
  invalid(name, `${name} must be a boolean`);
  return false;
};

const ATTRIBUTE_CHECKS: { readonly [Field in MessengerAttributeField]: FieldCheck } = {
  name: shortText,
  phone: shortText,
  avatar: imageUrl,
  language_override: shortText,
  unsubscribed_from_emails: flag,
};

const isAttributeField = (key: string): key is MessengerAttributeField =>
  (MESSENGER_ATTRIBUTE_FIELDS as readonly string[]).includes(key);

const isIdentityField = (key: string): boolean =>
  (MESSENGER_IDENTITY_FIELDS as readonly string[]).includes(key);

function parseAttributes(value: unknown, invalid: Report): MessengerAttributes | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    invalid('attributes', 'attributes must be an object');
    return undefined;
  }
  const attributes: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const name = fieldPath('attributes', key);
    if (isAttributeField(key)) {
      if (ATTRIBUTE_CHECKS[key](field, name, invalid)) attributes[key] = field;
    } else if (key === 'custom_attributes') {
      const custom = parseCustomAttributes(field, name, invalid);
      if (custom) attributes[key] = custom;
    } else if (isIdentityField(key)) {
      invalid(name, `${name} cannot be written here: send it as the item's ${key}`);
    } else invalid(name, `Unknown field ${name}`);
  }
  return attributes;
}

function parseCustomAttributes(
  value: unknown,
  field: string,
  invalid: Report,
): Record<string, CustomAttributeValue> | undefined {
  if (!isPlainObject(value)) {
    invalid(field, `${field} must be an object`);
    return undefined;
  }
  const custom: Record<string, CustomAttributeValue> = {};
  for (const [name, attribute] of Object.entries(value)) {
    if (
      attribute === null ||
      typeof attribute === 'string' ||
      typeof attribute === 'boolean' ||
      (typeof attribute === 'number' && Number.isFinite(attribute))
    ) {
      custom[name] = attribute;
    } else {
      const at = fieldPath(field, name);
      invalid(at, `${at} must be a string, number, boolean or null`);
    }
  }
  return custom;
}

function parseContext(value: unknown, invalid: Report): SeenContext | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    invalid('context', 'context must be an object');
    return undefined;
  }
  const context: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    const name = fieldPath('context', key);
    if ((CONTEXT_STRINGS as readonly string[]).includes(key)) {
      const max = key === 'page_url' || key === 'referrer' ? MAX_URL : MAX_STRING;
      if (field === null || (typeof field === 'string' && fitsCharacters(field, max))) {
        // The page is accepted but not kept: no Intercom object has a field for it.
        if (key !== 'page_url') context[key] = field;
      } else invalid(name, `${name} must be a string of at most ${max} characters or null`);
    } else if (key === 'location') {
      const location = parseLocation(field, name, invalid);
      if (location) context.location = location;
    } else invalid(name, `Unknown field ${name}`);
  }
  return context;
}

function parseLocation(
  value: unknown,
  field: string,
  invalid: Report,
): SeenContext['location'] | undefined {
  if (!isPlainObject(value)) {
    invalid(field, `${field} must be an object`);
    return undefined;
  }
  const location = { country: null, region: null, city: null } as Record<string, string | null>;
  for (const [key, part] of Object.entries(value)) {
    const name = fieldPath(field, key);
    if (!(LOCATION_FIELDS as readonly string[]).includes(key))
      invalid(name, `Unknown field ${name}`);
    else if (part === null || (typeof part === 'string' && fitsCharacters(part, MAX_STRING)))
      location[key] = part;
    else invalid(name, `${name} must be a string or null`);
  }
  return location as unknown as SeenContext['location'];
}

/**
 * The first 10 keys, in the order sent: Intercom tracks that many for a data event and ignores
 * any further ones. Values are JSON, one level of objects.
 */
const MAX_METADATA_KEYS = 10;

export function parseMetadata(
  value: unknown,
  invalid: Report,
): Readonly<Record<string, JsonValue>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    invalid('metadata', 'metadata must be an object');
    return undefined;
  }
  const entries = Object.entries(value).slice(0, MAX_METADATA_KEYS);
  const metadata: Record<string, JsonValue> = {};
  for (const [key, entry] of entries) {
    const at = fieldPath('metadata', key);
    const values = isPlainObject(entry) ? Object.values(entry) : [entry];
    if (!values.every(isFlatJson)) {
      invalid(at, `${at} must be a string, number, boolean or flat object`);
    } else if (values.some(isRoundedInteger)) {
      invalid(at, `${at} must not hold an integer beyond ±${Number.MAX_SAFE_INTEGER}`);
    } else {
      metadata[key] = entry as JsonValue;
    }
  }
  return metadata;
}

/**
 * JSON parsing has already rounded such a number to a nearby double (9007199254740993 arrives as
 * 9007199254740992), so it is refused rather than stored changed; 2^53 itself cannot be told apart.
 */
const isRoundedInteger = (value: unknown): boolean =>
  typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);

const isFlatJson = (value: unknown): boolean =>
  value === null ||
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));
