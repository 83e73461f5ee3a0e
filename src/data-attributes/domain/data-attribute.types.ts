/** Unix seconds. */
export type UnixSeconds = number;

/** The models Intercom attaches data attributes to; only `contact` exists in this service. */
export const DATA_ATTRIBUTE_MODELS = ['contact', 'company'] as const;
export type DataAttributeModel = (typeof DATA_ATTRIBUTE_MODELS)[number];

/** The data types of Intercom's `data_attribute` object. */
export const DATA_TYPES = ['string', 'integer', 'float', 'boolean', 'date'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/**
 * What a create request may name: Intercom's create also accepts `datetime` (stored as `date`)
 * and `options` (a list attribute: a `string` with a fixed set of options).
 */
export const REQUESTED_DATA_TYPES = [...DATA_TYPES, 'datetime', 'options'] as const;

/** A value of a custom attribute is at most this many characters long. */
export const MAX_STRING_VALUE_LENGTH = 255;

/** At most this many unarchived custom attributes per workspace. */
export const MAX_LIVE_CUSTOM_ATTRIBUTES = 250;

/** A list attribute needs at least this many options. */
export const MIN_OPTIONS = 2;

/**
 * A list attribute has at most this many options. Intercom documents no limit; this is room for
 * any list a person picks from (every country, every currency) while keeping a definition, and
 * the list of a workspace's definitions, of bounded size.
 */
export const MAX_OPTIONS = 500;

/**
 * A description is at most this many characters long. Intercom documents no bound; a description
 * is the line or paragraph its UI shows beside the attribute, and this keeps a definition, and
 * the list of a workspace's definitions, of bounded size (as `MAX_OPTIONS` does).
 */
export const MAX_DESCRIPTION_CHARACTERS = 1000;

/** A custom data attribute as its events define it; fields keep Intercom's names. */
export interface CustomDataAttribute {
  readonly id: number;
  readonly model: DataAttributeModel;
  readonly name: string;
  readonly label: string;
  readonly description: string | null;
  readonly data_type: DataType;
  /** `null` unless this is a list attribute. */
  readonly options: readonly string[] | null;
  readonly messenger_writable: boolean;
  readonly archived: boolean;
  readonly created_at: UnixSeconds;
  readonly updated_at: UnixSeconds;
}
