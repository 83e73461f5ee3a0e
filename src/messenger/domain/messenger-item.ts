import type {
  AttributeChanges,
  JsonValue,
  SeenContext,
  StandardAttributeName,
  UnixSeconds,
} from '../../contacts/domain/contact.attributes';

export const MESSENGER_ITEM_TYPES = [
  'visitor.seen',
  'conversation.started',
  'outbound.replied',
  'email.supplied',
  'contact.signed_up',
  'contact.logged_in',
  'contact.attributes_updated',
  'event.tracked',
] as const;

export type MessengerItemType = (typeof MESSENGER_ITEM_TYPES)[number];

/** Item types that give the contact an identity (and may merge it into the user holding it). */
export const IDENTIFYING_TYPES: ReadonlySet<MessengerItemType> = new Set([
  'contact.signed_up',
  'contact.logged_in',
]);

/**
 * The standard contact fields an item's `attributes` writes (with `custom_attributes`): the
 * parser takes these and refuses any other, so `GET /data_attributes` lists these as
 * `messenger_writable`.
 */
export const MESSENGER_ATTRIBUTE_FIELDS = [
  'name',
  'phone',
  'avatar',
  'language_override',
  'unsubscribed_from_emails',
] as const satisfies readonly StandardAttributeName[];

export type MessengerAttributeField = (typeof MESSENGER_ATTRIBUTE_FIELDS)[number];

/**
 * Identities an item writes as its own fields, never under `attributes`: `email.supplied` gives
 * a contact its email, a sign-up or log-in its external_id.
 */
export const MESSENGER_IDENTITY_FIELDS = [
  'email',
  'external_id',
] as const satisfies readonly StandardAttributeName[];

/** The contact fields a messenger item's `attributes` may write. */
export type MessengerAttributes = Pick<
  AttributeChanges,
  MessengerAttributeField | 'custom_attributes'
>;

/** One validated item of `POST /messenger/events` (ingestion.md), in our own names. */
export interface MessengerItem {
  /** The producer's idempotency key. */
  readonly id: string;
  readonly type: MessengerItemType;
  /** Event time, unix seconds. */
  readonly occurredAt: UnixSeconds;
  readonly visitorId?: string;
  readonly contactId?: string;
  readonly externalId?: string;
  readonly email?: string;
  readonly attributes?: MessengerAttributes;
  readonly context?: SeenContext;
  readonly eventName?: string;
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  readonly conversationId?: string;
}

export interface ItemProblem {
  readonly code: 'parameter_invalid' | 'parameter_not_found';
  readonly message: string;
  readonly field: string;
}

export type ParsedItem =
  | { readonly ok: true; readonly item: MessengerItem }
  | { readonly ok: false; readonly id: string | null; readonly problems: readonly ItemProblem[] };
