import { fieldPath } from '../../shared/json-path';
import {
  MAX_DESCRIPTION_CHARACTERS,
  MAX_LIVE_CUSTOM_ATTRIBUTES,
  MAX_OPTIONS,
  MAX_STRING_VALUE_LENGTH,
  MIN_OPTIONS,
  type DataType,
} from './data-attribute.types';

/**
 * Refusals of the data attributes capability. `code` is the Intercom error code the HTTP edge
 * answers with (`parameter_invalid` → 400, `data_invalid` → 422, `field_not_found` → 404, as
 * Intercom's data attribute endpoints document them); `field` names the offending request field.
 * Codes and class names are stable.
 */
export type DataAttributeErrorCode = 'parameter_invalid' | 'data_invalid' | 'field_not_found';

export abstract class DataAttributeError extends Error {
  abstract readonly code: DataAttributeErrorCode;
  readonly field?: string;
  /** Where Intercom answers a code with another status than its usual one. */
  readonly status?: number;
}

/**
 * Intercom listed conversation attributes here once; it now answers this, pointing elsewhere
 * (422 with `parameter_invalid`, as its OpenAPI documents).
 */
export class ConversationModelRetired extends DataAttributeError {
  override readonly name = 'ConversationModelRetired';
  readonly code = 'parameter_invalid';
  override readonly field = 'model';
  override readonly status = 422;
  constructor() {
    super('model=conversation is no longer supported. Use GET /conversations/attributes instead');
  }
}

/** A model other than `contact` or `company`. */
export class InvalidModel extends DataAttributeError {
  override readonly name = 'InvalidModel';
  readonly code = 'parameter_invalid';
  override readonly field = 'model';
  constructor(readonly model: string) {
    super('The Data Attribute model field must be either contact or company');
  }
}

/** Companies do not exist in this service, so neither do their attributes. */
export class UnsupportedModel extends DataAttributeError {
  override readonly name = 'UnsupportedModel';
  readonly code = 'data_invalid';
  override readonly field = 'model';
  constructor(readonly model: string) {
    super(`Data attributes of model ${model} are not supported; only contact attributes exist`);
  }
}

export const FORBIDDEN_NAME_CHARACTERS = '.$~`!@#%^&*\'{}|\\"';

/** As long as any text value of a contact may be: a name is a key of contacts' attributes. */
export const MAX_NAME_CHARACTERS = 255;

export type InvalidAttributeNameReason =
  | 'blank'
  | 'spaces_around'
  | 'too_long'
  | 'forbidden_character'
  | 'control_character'
  | 'prototype_key';

const NAME_MESSAGES: Readonly<Record<InvalidAttributeNameReason, string>> = {
  blank: 'The name of a data attribute cannot be blank',
  spaces_around: 'The name of a data attribute cannot start or end with spaces',
  too_long: `The name of a data attribute cannot be longer than ${MAX_NAME_CHARACTERS} characters`,
  forbidden_character: `Your name for this attribute cannot contain any of ${FORBIDDEN_NAME_CHARACTERS}`,
  control_character: 'The name of a data attribute cannot contain control characters',
  prototype_key:
    'The name of a data attribute cannot be named after a member of Object.prototype: no request may hold it as a key, so no contact could be given a value',
};

/**
 * A blank or overlong name, one with spaces around it (`plan ` would be an attribute apart from
 * `plan` that reads the same), one with a character Intercom does not allow in attribute names or
 * a control character (a line break), or one that no request body may hold as a key.
 */
export class InvalidAttributeName extends DataAttributeError {
  override readonly name = 'InvalidAttributeName';
  readonly code = 'parameter_invalid';
  override readonly field = 'name';
  constructor(
    readonly attributeName: string,
    readonly reason: InvalidAttributeNameReason,
  ) {
    super(NAME_MESSAGES[reason]);
  }
}

/** The name is already used in the model, by a custom attribute (archived or not) or a built-in one. */
export class AttributeNameTaken extends DataAttributeError {
  override readonly name = 'AttributeNameTaken';
  readonly code = 'parameter_invalid';
  override readonly field = 'name';
  constructor(
    readonly attributeName: string,
    readonly model: string,
  ) {
    const data = model === 'contact' ? 'people' : model;
    super(
      `You already have '${attributeName}' in your ${data} data. To save this as new ${data} data, use a different name.`,
    );
  }
}

/** A data type that is none of Intercom's. */
export class InvalidDataType extends DataAttributeError {
  override readonly name = 'InvalidDataType';
  readonly code = 'parameter_invalid';
  override readonly field = 'data_type';
  constructor(readonly dataType: string) {
    super("Data Type isn't an option");
  }
}

/** An update naming a data type other than the attribute's: the type is fixed at creation. */
export class DataTypeUnchangeable extends DataAttributeError {
  override readonly name = 'DataTypeUnchangeable';
  readonly code = 'parameter_invalid';
  override readonly field = 'data_type';
  constructor(
    readonly current: DataType,
    readonly requested: string,
  ) {
    super(`The data type of an attribute cannot change (it is ${current})`);
  }
}

export type InvalidOptionsReason =
  'too_few' | 'too_many' | 'duplicate' | 'blank' | 'too_long' | 'not_a_list_attribute';

const OPTION_MESSAGES: Readonly<Record<InvalidOptionsReason, string>> = {
  too_few: `A list attribute needs at least ${MIN_OPTIONS} options`,
  too_many: `A list attribute can have at most ${MAX_OPTIONS} options`,
  too_long: `An option cannot be longer than ${MAX_STRING_VALUE_LENGTH} characters, as no value of a contact can`,
  duplicate: 'The options of a list attribute must be distinct',
  blank: 'An option cannot be blank',
  not_a_list_attribute:
    'Options apply only to list attributes (data_type options, or string with options)',
};

/** Options that do not make a valid list, or options on an attribute that is not a list. */
export class InvalidOptions extends DataAttributeError {
  override readonly name = 'InvalidOptions';
  readonly code = 'parameter_invalid';
  override readonly field = 'options';
  constructor(readonly reason: InvalidOptionsReason) {
    super(OPTION_MESSAGES[reason]);
  }
}

/** A description longer than `MAX_DESCRIPTION_CHARACTERS`. */
export class InvalidDescription extends DataAttributeError {
  override readonly name = 'InvalidDescription';
  readonly code = 'parameter_invalid';
  override readonly field = 'description';
  constructor() {
    super(`A description cannot be longer than ${MAX_DESCRIPTION_CHARACTERS} characters`);
  }
}

/**
 * Creating or unarchiving would exceed the live custom attributes a workspace may have. `field`
 * is the request field that would add one: a create's `name`, an update's `archived`.
 */
export class TooManyDataAttributes extends DataAttributeError {
  override readonly name = 'TooManyDataAttributes';
  readonly code = 'data_invalid';
  constructor(override readonly field: 'name' | 'archived') {
    super(
      `A workspace can have at most ${MAX_LIVE_CUSTOM_ATTRIBUTES} custom data attributes; archive one first`,
    );
  }
}

/** No custom attribute with this id in the workspace (the path's `data_attribute_id`). */
export class DataAttributeNotFound extends DataAttributeError {
  override readonly name = 'DataAttributeNotFound';
  readonly code = 'field_not_found';
  override readonly field = 'data_attribute_id';
  constructor(readonly id: number) {
    super("We couldn't find that data attribute to update");
  }
}

export type CustomAttributeRefusalReason =
  'unknown' | 'archived' | 'not_messenger_writable' | 'wrong_type' | 'not_an_option' | 'too_long';

/**
 * A contact write of a custom attribute that its definition refuses. A write that does not fit
 * the attribute at all (unknown, archived, not the Messenger's to write, wrong JSON type) is a bad
 * parameter (400); a well-typed
 * value that the attribute's rules refuse (not an option, too long) is invalid data (422).
 */
export class CustomAttributeRefused extends DataAttributeError {
  override readonly name = 'CustomAttributeRefused';
  readonly code: DataAttributeErrorCode;
  override readonly field: string;
  constructor(
    readonly attributeName: string,
    readonly reason: CustomAttributeRefusalReason,
    readonly dataType?: DataType,
  ) {
    super(customAttributeMessage(attributeName, reason, dataType));
    this.code =
      reason === 'not_an_option' || reason === 'too_long' ? 'data_invalid' : 'parameter_invalid';
    this.field = fieldPath('custom_attributes', attributeName);
  }
}

function customAttributeMessage(
  name: string,
  reason: CustomAttributeRefusalReason,
  dataType?: DataType,
): string {
  switch (reason) {
    case 'unknown':
      return `Custom attribute '${name}' does not exist`;
    case 'archived':
      return `Custom attribute '${name}' is archived`;
    case 'not_messenger_writable':
      return `Custom attribute '${name}' cannot be written by the Messenger (its messenger_writable is false)`;
    case 'wrong_type':
      return `Custom attribute '${name}' expects a value of type ${dataType ?? 'unknown'}${dataType === 'date' ? ' (unix seconds)' : ''}`;
    case 'not_an_option':
      return `The value of custom attribute '${name}' is not one of its options`;
    case 'too_long':
      return `The value of custom attribute '${name}' is longer than ${MAX_STRING_VALUE_LENGTH} characters`;
  }
}

/** Archiving a custom attribute that a segment's rule filters on (Intercom: "Has Dependant Object"). */
export class AttributeHasDependants extends DataAttributeError {
  override readonly name = 'AttributeHasDependants';
  readonly code = 'data_invalid';
  override readonly field = 'archived';
  constructor(
    readonly attributeName: string,
    readonly dependants: readonly string[],
  ) {
    super(
      `The Data Attribute you are trying to archive has a dependant object: segment ${dependants
        .map((name) => `'${name}'`)
        .join(', ')}`,
    );
  }
}
